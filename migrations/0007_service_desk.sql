-- Service desk: service requests with their follow-up log, sales leads, appointments,
-- the knowledge base and the do-not-call list.

insert into code_kinds (kind, name_zh, name_en, sort) values ('kb_category', '知识库分类', 'Knowledge base category', 110);
insert into code_items (kind, code, label_zh, label_en, sort) values
  ('kb_category', 'PRODUCT', '产品介绍', 'Products', 10),
  ('kb_category', 'PRICE', '价格表', 'Price lists', 20),
  ('kb_category', 'POLICY', '服务政策', 'Policies', 30),
  ('kb_category', 'FAQ', '常见问题', 'FAQ', 40);

-- Request numbers SR-YYYYMMDD-NNNN restart every day. The counter row is bumped in
-- its own short statement before the request's transaction, so agents saving at the
-- same moment never wait on each other's transactions (a number may be skipped).
create table daily_counters (
  kind varchar(20) not null,
  day date not null,
  n int not null,
  primary key (kind, day)
);

create table service_requests (
  id serial primary key,
  number varchar(24) not null unique,
  received_at timestamptz not null default now(),
  channel varchar(10) not null check (channel in ('phone', 'visit', 'email', 'web')),
  caller_phone varchar(40),
  caller_phone_norm varchar(20),
  caller_name varchar(60),
  customer_id int references customers(id),
  contact_id int references contacts(id),
  category varchar(40),
  subject varchar(200) not null,
  content text,
  answer text,
  status varchar(12) not null default 'received' check (status in ('received', 'in_progress', 'answered', 'archived')),
  priority varchar(8) not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
  assignee_id int references users(id),
  created_by int not null references users(id),
  due_at timestamptz not null,
  is_lead boolean not null default false,
  answered_at timestamptz,
  archived_at timestamptz,
  search_grams text[] not null default '{}',
  search_text text not null default '',
  deleted_at timestamptz,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index service_requests_assignee_idx on service_requests (assignee_id, status, due_at) where deleted_at is null;
create index service_requests_creator_idx on service_requests (created_by, id desc) where deleted_at is null;
create index service_requests_open_due_idx on service_requests (due_at) where deleted_at is null and status in ('received', 'in_progress');
create index service_requests_unassigned_idx on service_requests (id desc) where deleted_at is null and assignee_id is null and status <> 'archived';
create index service_requests_customer_idx on service_requests (customer_id, id desc);
create index service_requests_phone_idx on service_requests (caller_phone_norm) where customer_id is null;
create index service_requests_received_idx on service_requests (received_at, created_by);
create index service_requests_live_idx on service_requests (id desc) where deleted_at is null;
create index service_requests_grams_idx on service_requests using gin (search_grams);
create index service_requests_text_idx on service_requests using gin (search_text gin_trgm_ops);

create table request_followups (
  id serial primary key,
  request_id int not null references service_requests(id),
  at timestamptz not null default now(),
  user_id int not null references users(id),
  kind varchar(12) not null check (kind in ('note', 'status', 'assign', 'link')),
  from_status varchar(12),
  to_status varchar(12),
  note varchar(2000)
);
create index request_followups_request_idx on request_followups (request_id, id);

create table leads (
  id serial primary key,
  request_id int references service_requests(id),
  customer_id int references customers(id),
  contact_id int references contacts(id),
  note varchar(1000),
  status varchar(10) not null default 'new' check (status in ('new', 'assigned', 'converted', 'dropped')),
  created_by int not null references users(id),
  assigned_to int references users(id),
  assigned_at timestamptz,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index leads_status_idx on leads (status, id desc);
create index leads_assignee_idx on leads (assigned_to, status, id desc);

create table appointments (
  id serial primary key,
  customer_id int not null references customers(id),
  contact_id int references contacts(id),
  kind varchar(10) not null check (kind in ('callback', 'visit')),
  scheduled_at timestamptz not null,
  purpose varchar(300) not null,
  caller_id int not null references users(id),
  status varchar(12) not null default 'scheduled' check (status in ('scheduled', 'done', 'no_answer', 'cancelled')),
  result varchar(1000),
  request_id int references service_requests(id),
  rebooked_from int references appointments(id),
  created_by int not null references users(id),
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index appointments_caller_idx on appointments (caller_id, scheduled_at) where status = 'scheduled';
create index appointments_customer_idx on appointments (customer_id, scheduled_at desc);

create table kb_articles (
  id serial primary key,
  category varchar(40) not null,
  title varchar(200) not null,
  body_html text not null,
  body_text text not null,
  search_grams text[] not null default '{}',
  search_text text not null default '',
  views int not null default 0,
  published boolean not null default true,
  created_by int not null references users(id),
  updated_by int references users(id),
  deleted_at timestamptz,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index kb_articles_grams_idx on kb_articles using gin (search_grams);
create index kb_articles_text_idx on kb_articles using gin (search_text gin_trgm_ops);
create index kb_articles_category_idx on kb_articles (category, id desc) where deleted_at is null;

create table request_articles (
  request_id int not null references service_requests(id),
  article_id int not null references kb_articles(id),
  primary key (request_id, article_id)
);

create table dnc_numbers (
  id serial primary key,
  phone varchar(20) not null unique,
  phone_display varchar(40) not null,
  reason varchar(300) not null,
  enabled boolean not null default true,
  created_by int not null references users(id),
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Permissions of the built-in roles for the service desk.
update roles set permissions = permissions || '{service.read,service.create,service.update,service.delete,service.assign,service.export,service.print,knowledge.read,knowledge.create,knowledge.update,knowledge.delete,dnc.read,dnc.update,leads.read,leads.assign}'
  where code in ('decision', 'supervisor');
update roles set permissions = permissions || '{service.read,service.create,service.update,knowledge.read,dnc.read}' where code = 'agent';
update roles set permissions = permissions || '{service.read,knowledge.read,leads.read}' where code = 'user';
