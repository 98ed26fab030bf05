-- A rep's customer list answered from the owner index alone (an index-only scan).
--
-- A rep's customers are scattered over the whole table, so each of his pages read
-- about 50 heap pages of customers, one per row, where a page of the whole list (the
-- newest, a supervisor's) reads a few. Measured with EXPLAIN (ANALYZE, BUFFERS) on the
-- bench database (1,000,000 customers, 20,000 per rep, shared_buffers 128 MB): the
-- customers part of a rep's "more" page went from 47 buffers to 5, the statement from
-- 6–13 ms to 2.5–3 ms when not cached. The index carries every column the list
-- selects (queries.ts listQuery), so a column added there belongs here too. It is
-- bigger (187 MB against 21 MB at a million customers); the capped count, which read
-- this index before, still is an index-only scan of it.
create index customers_owner_list_idx on customers (owner_id, id desc)
  include (code, name, short_name, grade, status, phone, industry, region_code, source, tags, created_at,
           review_state, name_initials, deleted_at, version, main_contact_id)
  where deleted_at is null and merged_into is null;
drop index customers_owner_live_idx;
