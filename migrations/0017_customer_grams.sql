-- Every live customer's search grams (customers.search_grams: each Chinese character
-- and adjacent pair of its name, short name and contacts' names) as rows of a b-tree,
-- so that "the newest customers holding 华为" is read in order and stops at the cap.
--
-- The GIN index of search_grams answers a gram only as a bitmap of every customer that
-- holds it, built whole before the search's cap of 1,000 applies: at a million
-- customers 41,337 entries for 电子 took 21–23 ms and 136,455 for 华为 59 ms (EXPLAIN
-- ANALYZE, bench database), and the thousand it then kept were the oldest, in the
-- heap's order, not the newest the list shows first. Here the same term is one range
-- of (gram, customer_id) read backwards: a thousand index entries, whatever the word.
-- search.ts uses it for a one- or two-character term (one gram, no recheck needed)
-- when every live customer may be returned (the whole company's brief search, a user
-- who sees all); other terms, scopes and the trash keep the GIN index.
--
-- Only live customers (neither deleted nor merged) have rows, so a row is a match the
-- search may return without reading the customer. Statement triggers with transition
-- tables keep it, as customer_owner_counts (0016): an import of 10,000 rows is one
-- insert of their grams, and an update touches only customers whose grams or liveness
-- changed. Every writer (forms, contacts, import, merge, delete/restore, plain SQL)
-- goes through them; TRUNCATE empties it.
create table customer_grams (
  gram text not null,
  customer_id int not null
);

insert into customer_grams (gram, customer_id)
  select g, c.id from customers c, lateral (select distinct unnest(c.search_grams)) x(g)
  where c.deleted_at is null and c.merged_into is null;

-- (after the rows: one sorted build instead of a million customers' inserts)
alter table customer_grams add primary key (gram, customer_id);
analyze customer_grams;

-- The newest `n` live customers holding gram `g`. A function so that the statement
-- can turn bitmap scans off for itself: a search's plan is generic (made before the
-- term is known, search.ts SEARCH_SETTINGS), and for "gram = $1" it may expect a few
-- hundred rows and choose a bitmap of them all and a sort, which for 华为 is every
-- one of 136,455 holders again. Without bitmaps the one plan left is the b-tree read
-- backwards, stopping at `n` (search-plan.test.ts pins it).
create function customer_gram_newest(g text, n int) returns setof int
  language plpgsql stable strict rows 1000
  set enable_bitmapscan = off
as $$
begin
  return query select k.customer_id from customer_grams k where k.gram = g order by k.customer_id desc limit n;
end $$;

create function customer_grams_apply() returns trigger language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    delete from customer_grams;
    return null;
  end if;
  if tg_op = 'INSERT' then
    -- (on conflict: an array written with a gram twice)
    insert into customer_grams (gram, customer_id)
      select g, n.id from new_rows n, unnest(n.search_grams) g
      where n.deleted_at is null and n.merged_into is null
      on conflict do nothing;
  elsif tg_op = 'DELETE' then
    delete from customer_grams k using old_rows o
      where k.customer_id = o.id and k.gram = any(o.search_grams);
  else
    -- what each changed customer had and has now: its grams while live, else none
    with changed as (
      select o.id,
        case when o.deleted_at is null and o.merged_into is null then o.search_grams else '{}' end as had,
        case when n.deleted_at is null and n.merged_into is null then n.search_grams else '{}' end as has
      from old_rows o join new_rows n on n.id = o.id
      where o.search_grams is distinct from n.search_grams
         or (o.deleted_at is null and o.merged_into is null) <> (n.deleted_at is null and n.merged_into is null)
    ), gone as (
      delete from customer_grams k using changed c
        where k.customer_id = c.id and k.gram = any(c.had) and not (k.gram = any(c.has))
    )
    insert into customer_grams (gram, customer_id)
      select g, c.id from changed c, unnest(c.has) g where not (g = any(c.had))
      on conflict do nothing;
  end if;
  return null;
end $$;

create trigger customer_grams_insert after insert on customers
  referencing new table as new_rows for each statement execute function customer_grams_apply();
create trigger customer_grams_update after update on customers
  referencing old table as old_rows new table as new_rows for each statement execute function customer_grams_apply();
create trigger customer_grams_delete after delete on customers
  referencing old table as old_rows for each statement execute function customer_grams_apply();
create trigger customer_grams_truncate after truncate on customers
  for each statement execute function customer_grams_apply();
