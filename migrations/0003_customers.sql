-- Customer archive: customers, contacts, demand and communication records, the
-- timeline other modules write into, and the denormalised search columns.

insert into code_kinds (kind, name_zh, name_en, sort) values ('customer_type', '客户类型', 'Customer type', 5);
insert into code_items (kind, code, label_zh, label_en, sort) values
  ('customer_type', 'A', '企业客户', 'Company', 10),
  ('customer_type', 'B', '经销商', 'Distributor', 20),
  ('customer_type', 'G', '政府机构', 'Government body', 30),
  ('customer_type', 'P', '个人客户', 'Individual', 40);

-- One sequence for every type: codes are `type-sequence` (A-000123), unique and
-- gap-tolerant; nextval never blocks a concurrent create the way a counter row would.
create sequence customer_code_seq;

create table customers (
  id serial primary key,
  code varchar(20) not null unique,
  customer_type varchar(10) not null,
  name varchar(200) not null,
  short_name varchar(60),
  legal_rep varchar(60),
  email varchar(120),
  main_contact_id int,
  region_code varchar(12),
  address varchar(300),
  phone varchar(40),
  fax varchar(40),
  website varchar(200),
  nature varchar(40),
  industry varchar(40),
  sales_channel varchar(40),
  brands varchar(300),
  size varchar(40),
  credit varchar(40),
  assessment varchar(300),
  grade char(1) not null default 'D' check (grade in ('A', 'B', 'C', 'D', 'E')),
  status varchar(12) not null default 'potential' check (status in ('potential', 'interested', 'won', 'lost', 'dead')),
  source varchar(40),
  tags text[] not null default '{}',
  owner_id int not null references users(id),
  registered_on date not null default current_date,
  collected_by varchar(60),
  entered_by int references users(id),
  review_state varchar(10) not null default 'approved' check (review_state in ('pending', 'approved', 'rejected')),
  reviewed_by int references users(id),
  reviewed_at timestamptz,
  review_note varchar(300),
  remarks text,
  -- derived on every write by the service (src/modules/customers/derive.ts)
  name_initials varchar(200) not null default '',
  first_letter char(1) not null default '#',
  search_grams text[] not null default '{}',
  search_text text not null default '',
  merged_into int references customers(id),
  deleted_at timestamptz,
  deleted_by int references users(id),
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- lists: keyset on id per owner (reps) and overall (supervisors, decision makers)
create index customers_owner_idx on customers (owner_id, id desc) where deleted_at is null;
create index customers_live_idx on customers (id desc) where deleted_at is null;
create index customers_review_idx on customers (review_state, id desc) where deleted_at is null and review_state <> 'approved';
create index customers_grams_idx on customers using gin (search_grams);
create index customers_text_trgm_idx on customers using gin (search_text gin_trgm_ops);
create index customers_initials_idx on customers (name_initials text_pattern_ops);
create index customers_letter_idx on customers (first_letter, id desc) where deleted_at is null;
create index customers_tags_idx on customers using gin (tags);
create index customers_created_idx on customers (created_at, owner_id);

create table contacts (
  id serial primary key,
  customer_id int not null references customers(id),
  name varchar(60) not null,
  gender char(1) check (gender in ('M', 'F')),
  birthday date,
  position varchar(40),
  department varchar(60),
  office_phone varchar(40),
  mobile varchar(40),
  email varchar(120),
  fax varchar(40),
  postcode varchar(10),
  address varchar(300),
  profile text,
  is_key boolean not null default false,
  valid boolean not null default true,
  updated_by int references users(id),
  deleted_at timestamptz,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index contacts_customer_idx on contacts (customer_id, id);
-- birthdays by month-day for the workbench reminders
create index contacts_birthday_idx on contacts (((extract(month from birthday) * 100 + extract(day from birthday))::int)) where birthday is not null and deleted_at is null;
alter table customers add constraint customers_main_contact_fk foreign key (main_contact_id) references contacts(id);

-- Every phone number of a customer and its contacts, normalised to digits, for the
-- exact and last-four-digit lookups the call screen and the search box make.
create table customer_phones (
  customer_id int not null references customers(id),
  contact_id int references contacts(id),
  phone varchar(20) not null,
  last4 char(4) not null
);
create index customer_phones_phone_idx on customer_phones (phone);
create index customer_phones_last4_idx on customer_phones (last4);
create index customer_phones_customer_idx on customer_phones (customer_id);

create table demand_records (
  id serial primary key,
  customer_id int not null references customers(id),
  kind varchar(40) not null,
  description varchar(1000) not null,
  valid_from date not null,
  valid_to date,
  created_by int references users(id),
  deleted_at timestamptz,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index demand_records_customer_idx on demand_records (customer_id, valid_from desc);
create index demand_records_expiry_idx on demand_records (valid_to) where deleted_at is null;

create table communications (
  id serial primary key,
  customer_id int not null references customers(id),
  contact_id int references contacts(id),
  kind varchar(10) not null check (kind in ('call', 'visit', 'email', 'meeting')),
  at timestamptz not null default now(),
  user_id int not null references users(id),
  summary varchar(2000) not null,
  next_step varchar(300),
  next_date date,
  next_done boolean not null default false,
  created_at timestamptz not null default now()
);
create index communications_customer_idx on communications (customer_id, at desc);
create index communications_next_idx on communications (user_id, next_date) where next_date is not null and not next_done;

-- The customer page's single timeline. Each module inserts a row in the same
-- transaction as its own record, so the page reads one index range instead of
-- merging queries over every module's tables.
create table customer_timeline (
  id bigserial primary key,
  customer_id int not null references customers(id),
  at timestamptz not null default now(),
  kind varchar(30) not null,
  ref_id varchar(40),
  title varchar(300) not null,
  href varchar(200),
  user_id int references users(id)
);
create index customer_timeline_idx on customer_timeline (customer_id, at desc, id desc);

-- Per-user saved list filters and remembered import mappings.
create table saved_filters (
  id serial primary key,
  user_id int not null references users(id),
  module varchar(40) not null,
  name varchar(60) not null,
  query varchar(2000) not null,
  created_at timestamptz not null default now(),
  unique (user_id, module, name)
);

create table import_mappings (
  user_id int not null references users(id),
  module varchar(40) not null,
  mapping jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (user_id, module)
);

-- Permissions of the built-in roles for the customer archive. Ordinary users keep
-- their own customers and may not print or export; agents work every caller, so
-- their role sees all customers (they still cannot delete, review or export).
update roles set permissions = permissions || '{customers.read,customers.create,customers.update,customers.delete,customers.review,customers.export,customers.print,customers.assign}'
  where code in ('decision', 'supervisor');
update roles set permissions = permissions || '{customers.read,customers.create,customers.update}' where code = 'user';
update roles set permissions = permissions || '{customers.read,customers.create,customers.update}', data_scope = 'all' where code = 'agent';
