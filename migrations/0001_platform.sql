-- Platform: settings, departments, roles, users, sessions, audit, code lists, regions.
create extension if not exists pg_trgm;

create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);

-- Departments form a tree; `path` ('/1/4/9/') lets a data-scope check find a whole
-- subtree with one prefix match instead of a recursive query per request.
create table departments (
  id serial primary key,
  parent_id int references departments(id),
  name varchar(100) not null,
  path text not null default '',
  head_user_id int,
  sort int not null default 0,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index departments_path_idx on departments (path text_pattern_ops);
create unique index departments_sibling_name_uq on departments (coalesce(parent_id, 0), name);

create table roles (
  id serial primary key,
  code varchar(40) not null unique,
  name_zh varchar(60) not null,
  name_en varchar(60) not null,
  builtin boolean not null default false,
  data_scope varchar(10) not null default 'own' check (data_scope in ('own', 'subtree', 'all')),
  permissions text[] not null default '{}',
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table users (
  id serial primary key,
  login varchar(60) not null,
  name varchar(60) not null,
  email varchar(120),
  phone_ext varchar(20),
  department_id int not null references departments(id),
  role_id int not null references roles(id),
  active boolean not null default true,
  is_default boolean not null default false,
  lang varchar(10) not null default 'zh-CN',
  password_hash text not null,
  password_changed_at timestamptz not null default now(),
  must_change_password boolean not null default false,
  failed_logins int not null default 0,
  locked_until timestamptz,
  totp_secret text,
  totp_enabled boolean not null default false,
  -- per-user adjustments on top of the role
  grants text[] not null default '{}',
  revokes text[] not null default '{}',
  last_login_at timestamptz,
  version int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_login_uq on users (lower(login));
create index users_department_idx on users (department_id);
alter table departments add constraint departments_head_fk foreign key (head_user_id) references users(id);

-- Only a SHA-256 of the session id is stored: a dump or backup hands out no live session.
create table sessions (
  id_hash text primary key,
  user_id int references users(id),
  csrf text not null,
  data jsonb not null default '{}',
  ip varchar(64),
  user_agent varchar(300),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
create index sessions_user_idx on sessions (user_id);
create index sessions_last_seen_idx on sessions (last_seen_at);

-- Append-only: a trigger refuses UPDATE and DELETE, so the app cannot rewrite history.
create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  user_id int,
  user_name varchar(60),
  ip varchar(64),
  request_id varchar(40),
  action varchar(40) not null,
  entity varchar(40) not null,
  entity_id varchar(40),
  summary varchar(300),
  changes jsonb
);
create index audit_log_at_idx on audit_log (at desc, id desc);
create index audit_log_entity_idx on audit_log (entity, entity_id, id desc);
create index audit_log_user_idx on audit_log (user_id, id desc);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();

create table code_kinds (
  kind varchar(40) primary key,
  name_zh varchar(60) not null,
  name_en varchar(60) not null,
  sort int not null default 0
);

create table code_items (
  id serial primary key,
  kind varchar(40) not null references code_kinds(kind),
  code varchar(40) not null,
  label_zh varchar(100) not null,
  label_en varchar(100) not null,
  sort int not null default 0,
  enabled boolean not null default true,
  version int not null default 1,
  updated_at timestamptz not null default now(),
  unique (kind, code)
);

-- GB/T 2260 administrative divisions: level 1 province, 2 city, 3 district.
create table regions (
  code varchar(12) primary key,
  name varchar(60) not null,
  parent_code varchar(12),
  level smallint not null
);
create index regions_parent_idx on regions (parent_code, code);

-- One-time tokens on create forms: a second post of the same token returns the
-- first result instead of creating a second record.
create table form_tokens (
  token varchar(64) primary key,
  user_id int not null,
  result text,
  created_at timestamptz not null default now()
);

insert into departments (id, parent_id, name, path) values (1, null, '总公司', '/1/');
select setval('departments_id_seq', 1);

insert into roles (code, name_zh, name_en, builtin, data_scope, permissions) values
  ('admin', '系统管理员', 'System administrator', true, 'all', '{}'),
  ('decision', '业务决策', 'Decision maker', true, 'all', '{}'),
  ('supervisor', '主管', 'Supervisor', true, 'subtree', '{}'),
  ('user', '一般用户', 'Ordinary user', true, 'own', '{}'),
  ('agent', '客服坐席', 'Service agent', true, 'own', '{}');

insert into code_kinds (kind, name_zh, name_en, sort) values
  ('industry', '行业', 'Industry', 10),
  ('enterprise_nature', '企业性质', 'Enterprise nature', 20),
  ('sales_channel', '销售渠道', 'Sales channel', 30),
  ('customer_source', '客户来源', 'Customer source', 40),
  ('enterprise_size', '企业规模', 'Enterprise size', 50),
  ('credit_rating', '企业资信', 'Credit rating', 60),
  ('position', '职位', 'Position', 70),
  ('consult_category', '咨询类别', 'Consultation category', 80),
  ('complaint_type', '投诉类型', 'Complaint type', 90),
  ('demand_kind', '需求类型', 'Demand kind', 100);

insert into code_items (kind, code, label_zh, label_en, sort) values
  ('industry', 'IT', '信息技术', 'Information technology', 10),
  ('industry', 'MFG', '制造业', 'Manufacturing', 20),
  ('industry', 'RETAIL', '零售', 'Retail', 30),
  ('industry', 'FIN', '金融', 'Finance', 40),
  ('industry', 'EDU', '教育', 'Education', 50),
  ('industry', 'MEDIA', '传媒', 'Media', 60),
  ('industry', 'OTHER', '其他', 'Other', 99),
  ('enterprise_nature', 'SOE', '国有企业', 'State-owned', 10),
  ('enterprise_nature', 'PRIVATE', '民营企业', 'Private', 20),
  ('enterprise_nature', 'FOREIGN', '外资企业', 'Foreign-invested', 30),
  ('enterprise_nature', 'JV', '合资企业', 'Joint venture', 40),
  ('enterprise_nature', 'GOV', '政府机关', 'Government', 50),
  ('enterprise_nature', 'PERSON', '个人', 'Individual', 60),
  ('sales_channel', 'DIRECT', '直销', 'Direct', 10),
  ('sales_channel', 'AGENT', '代理', 'Agent', 20),
  ('sales_channel', 'ONLINE', '网络', 'Online', 30),
  ('sales_channel', 'DISTRIB', '经销', 'Distributor', 40),
  ('customer_source', 'PHONE', '电话咨询', 'Phone enquiry', 10),
  ('customer_source', 'WEB', '网站', 'Website', 20),
  ('customer_source', 'REFERRAL', '客户介绍', 'Referral', 30),
  ('customer_source', 'EVENT', '市场活动', 'Market event', 40),
  ('customer_source', 'VISIT', '上门拜访', 'Sales visit', 50),
  ('enterprise_size', 'S', '50人以下', 'Under 50', 10),
  ('enterprise_size', 'M', '50-500人', '50–500', 20),
  ('enterprise_size', 'L', '500人以上', 'Over 500', 30),
  ('credit_rating', 'AAA', '优', 'Excellent', 10),
  ('credit_rating', 'AA', '良', 'Good', 20),
  ('credit_rating', 'A', '一般', 'Fair', 30),
  ('credit_rating', 'B', '差', 'Poor', 40),
  ('position', 'CHAIR', '董事长', 'Chairman', 10),
  ('position', 'GM', '总经理', 'General manager', 20),
  ('position', 'SALES', '营销主管', 'Sales manager', 30),
  ('position', 'MKT', '市场主管', 'Marketing manager', 40),
  ('position', 'PR', '宣传主管', 'PR manager', 50),
  ('position', 'CE', '总工程师', 'Chief engineer', 60),
  ('position', 'EXT', '外联主管', 'External relations', 70),
  ('position', 'HR', '人力资源主管', 'HR manager', 80),
  ('position', 'STAFF', '职员', 'Staff', 90),
  ('consult_category', 'PRODUCT', '产品咨询', 'Product enquiry', 10),
  ('consult_category', 'PRICE', '价格咨询', 'Price enquiry', 20),
  ('consult_category', 'ORDER', '订单查询', 'Order status', 30),
  ('consult_category', 'TECH', '技术支持', 'Technical support', 40),
  ('consult_category', 'OTHER', '其他', 'Other', 99),
  ('complaint_type', 'QUALITY', '产品质量', 'Product quality', 10),
  ('complaint_type', 'SERVICE', '服务态度', 'Service attitude', 20),
  ('complaint_type', 'DELIVERY', '交付延误', 'Late delivery', 30),
  ('complaint_type', 'BILLING', '账务问题', 'Billing', 40),
  ('demand_kind', 'INFO', '信息发布', 'Information release', 10),
  ('demand_kind', 'ADS', '媒体广告', 'Media advertising', 20),
  ('demand_kind', 'SUBSCR', '期刊订阅', 'Periodical subscription', 30);

-- The system administrator holds every permission by definition (see platform/permissions.ts);
-- the other built-in roles get theirs here and in each module's migration.
update roles set permissions = '{audit.read}' where code = 'decision';
