-- The service desk at 10 million requests over a million customers (issue 4).
--
-- The call screen's caller lookup (call-service.ts findByPhone) narrows numbers by
-- their last four digits: about 430 candidates per four digits at a million
-- customers. With only last4 in the index every candidate cost a table row read
-- (~300 random pages; 5–18 ms per lookup) and four digits alone joined all of them
-- to the customers before keeping ten. With the customer and the number in the
-- index it is an index-only scan: ≥ 7 digits 0.4 ms, four digits 2 ms, cold. The
-- customer search's last-four and duplicate checks read the same range: the old
-- index is covered by this one.
create index customer_phones_last4_customer_idx on customer_phones (last4, customer_id) include (phone, contact_id);
drop index customer_phones_last4_idx;

-- The caller card's open requests of a customer (callerDetails): only the open ones
-- are in this index, instead of every request the customer ever made.
create index service_requests_customer_open_idx on service_requests (customer_id, id desc)
  where deleted_at is null and status in ('received', 'in_progress');
