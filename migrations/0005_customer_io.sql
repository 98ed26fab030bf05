-- Customer import: an upload is kept here between its steps (mapping, dry run,
-- write) under the job's id, never under the uploader's file name, and only for its
-- owner. The file is dropped once the import is written, and a job is removed a day
-- after it was uploaded. Rows are staged by the dry run, already validated and with
-- their search columns derived, so the write is a few set-based statements in one
-- transaction.

create table import_jobs (
  id serial primary key,
  user_id int not null references users(id),
  module varchar(40) not null,
  -- the uploader's file name, shown back to him (escaped) and never used as a path
  file_name varchar(200) not null,
  file_kind varchar(4) not null check (file_kind in ('csv', 'xlsx')),
  file bytea,
  file_size int not null default 0,
  headers jsonb not null default '[]',
  mapping jsonb,
  skip_duplicates boolean not null default true,
  state varchar(10) not null default 'uploaded' check (state in ('uploaded', 'checking', 'checked', 'writing', 'done', 'failed')),
  total int not null default 0,
  processed int not null default 0,
  error_count int not null default 0,
  duplicate_count int not null default 0,
  imported_count int not null default 0,
  message varchar(300),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index import_jobs_user_idx on import_jobs (user_id, id desc);
create index import_jobs_created_idx on import_jobs (created_at);

create table import_rows (
  job_id int not null references import_jobs(id) on delete cascade,
  -- the row number a person sees in Excel (the header is row 1)
  row_no int not null,
  -- [{field, key, params, value}] when the row cannot be imported
  errors jsonb,
  name_key varchar(200),
  phones text[] not null default '{}',
  -- {kind: 'name'|'phone', code, name} for an existing customer, {kind, row} for an earlier row
  dup jsonb,
  -- insert-ready values (valid rows only)
  customer jsonb,
  contact jsonb,
  name_initials varchar(200),
  first_letter char(1),
  search_grams text[],
  -- derive()'s search text without the code, which only the write assigns
  search_rest text,
  -- [{phone, last4, contact}] from derive()
  phone_rows jsonb,
  primary key (job_id, row_no)
);

-- duplicate checks by name (import; also usable by the duplicate warning)
create index customers_lower_name_idx on customers (lower(name)) where deleted_at is null;
