-- The list's capped count ("1,000+") and a rep's or a team's first page read the
-- customers of given owners that are neither deleted nor merged. With merged_into in
-- the index predicate both are index-only scans: counting a rep's 1,001 customers of a
-- million went from ~20 ms (heap fetches through another index) to ~0.5 ms.
create index customers_owner_live_idx on customers (owner_id, id desc) where deleted_at is null and merged_into is null;
drop index customers_owner_idx;
