-- The customer search's GIN indexes take their pending-list limit from the session.
--
-- 0004 set gin_pending_list_limit = 128 (kB) on the two indexes as a storage parameter.
-- A parameter wins over the session setting, so nothing but ALTER INDEX could change
-- it, and ALTER INDEX … SET takes an ACCESS EXCLUSIVE lock on the index until the end
-- of the transaction: every customer query waits behind it. The import's write wants
-- a large limit for its own transaction (thousands of rows merged into the index in
-- one pass instead of 128 kB at a time: 20,000 customers went in with both indexes in
-- 3.5–3.8 s plus 1.2–1.5 s of merging, against 11.6–12.2 s, measured in psql at
-- 1,000,000 customers), so the 128 kB now comes from the app's
-- connections (SESSION_SETTINGS in src/db/index.ts) and the write uses SET LOCAL.
alter index customers_grams_idx reset (gin_pending_list_limit);
alter index customers_text_trgm_idx reset (gin_pending_list_limit);

-- The other GIN indexes had no parameter and used the server's default, 4 MB. The
-- app's sessions now say 128 kB; these keep the 4 MB they were measured with.
alter index customers_tags_idx set (gin_pending_list_limit = 4096);
alter index service_requests_grams_idx set (gin_pending_list_limit = 4096);
alter index service_requests_text_idx set (gin_pending_list_limit = 4096);
alter index kb_articles_grams_idx set (gin_pending_list_limit = 4096);
alter index kb_articles_text_idx set (gin_pending_list_limit = 4096);
alter index dnc_numbers_phone_trgm_idx set (gin_pending_list_limit = 4096);
