-- Customer anniversaries on the workbench: customers registered on today's month and
-- day, found through an index on the same expression as contacts_birthday_idx.
create index customers_anniversary_idx on customers (((extract(month from registered_on) * 100 + extract(day from registered_on))::int))
  where deleted_at is null;
