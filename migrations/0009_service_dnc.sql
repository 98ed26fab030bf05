-- The do-not-call list's imports. An uploaded list is read once and only its two
-- columns are kept here (at most 20,000 rows), for the preview and the write, for the
-- uploader alone and for a day; the file itself is not kept. The write adds the valid
-- new numbers in one transaction.
create table dnc_imports (
  id serial primary key,
  user_id int not null references users(id),
  -- the uploader's file name, shown back to him (escaped), never used as a path
  file_name varchar(200) not null,
  -- [[row number as Excel shows it, number as written, reason], …]
  rows jsonb not null,
  state varchar(8) not null default 'preview' check (state in ('preview', 'done')),
  added int not null default 0,
  created_at timestamptz not null default now(),
  done_at timestamptz
);
create index dnc_imports_user_idx on dnc_imports (user_id, id desc);
create index dnc_imports_created_idx on dnc_imports (created_at);

-- the list's search by a fragment of the number (three digits and more)
create index dnc_numbers_phone_trgm_idx on dnc_numbers using gin (phone gin_trgm_ops);
