-- Customer search: keep the GIN pending lists short; index short names for the duplicate check.
--
-- A GIN index first appends new entries to a "pending list" that every search reads
-- from end to end, until VACUUM (or an overflow of gin_pending_list_limit, 4 MB by
-- default) merges it into the index. Embedded PGlite runs no autovacuum, so the list
-- sits near 4 MB for good: measured at 200,000 customers, a rare two-character term
-- took 27 ms instead of 1 ms and a rare trigram term 28 ms instead of 0.8 ms. A small
-- limit keeps inserts batched and each search's extra reading to a few pages.
alter index customers_grams_idx set (gin_pending_list_limit = 128);
alter index customers_text_trgm_idx set (gin_pending_list_limit = 128);
select gin_clean_pending_list('customers_grams_idx'::regclass), gin_clean_pending_list('customers_text_trgm_idx'::regclass);

-- The duplicate check (search-duplicates.ts) asks whether a typed name is someone's
-- short name (华为): an exact lookup instead of reading every customer whose name
-- merely contains the characters.
create index customers_short_name_idx on customers (lower(short_name));
