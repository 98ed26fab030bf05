// The set-based SQL that fills the benchmark database: one INSERT … SELECT over
// generate_series per table, no per-row round trip. Everything a customer is made
// of is drawn once into the unlogged table bench_rows (so the customer row, its two
// contacts and its phones agree), then copied into the real tables with the derived
// search columns computed the way src/modules/customers/derive.ts computes them:
//   name_initials  the initials of the chosen words, concatenated (from bench_words)
//   first_letter   upper(first initial), '#' when not A–Z
//   search_grams   every CJK character and adjacent pair of name, short name and
//                  contact names (all-CJK texts here), as a set
//   search_text    lower(code), e-mail, initials, short-name initials, per contact
//                  e-mail and initials, then every phone's digits, space-separated
//   customer_phones  phone, fax, then per contact office phone and mobile, digits
//                  only (the display forms carry '-', '+86 ' and '转808' that
//                  normalizePhone() strips)
// seed.ts compares a sample of rows with derive() after every seeding.
//
// Only numbers computed in seed.ts are interpolated; words come from bench_words.
export interface Sizes {
  customers: number
  regions: number
  commonStems: number
  rareStems: number
  trades: number
  suffixes: number
  surnames: number
  given: number
  summaries: number
  nextSteps: number
  /** customers with id % heavyEvery = 0 get heavyComms extra communications */
  heavyEvery: number
  heavyComms: number
  commsPer: number
  reps: number
}

/** a word list of bench_words as a 1-based array expression */
const arr = (kind: string, col = 'word') => `(select array_agg(${col} order by i) from bench_words where kind = '${kind}')`
const codes = (kind: string) => `(select array_agg(code order by sort, code) from code_items where kind = '${kind}' and enabled)`
/** 1-based index into n items, skewed toward the first ones (power > 1) */
const skew = (n: number, power: number) => `(1 + floor(${n} * power(random(), ${power})))::int`
const uni = (n: number) => `(1 + floor(${n} * random()))::int`

export function rowsSql(s: Sizes): string {
  // 90 % of brand words come from the common list (Zipf-like), 10 % from the rare tail
  const stem = `case when random() < 0.9 then ${skew(s.commonStems, 2)} else ${s.commonStems} + ${uni(s.rareStems)} end`
  const mobile = `'1' || (3 + floor(random() * 7))::int || lpad(floor(random() * 1e9)::bigint::text, 9, '0')`
  const pick = (a: string) => `v.${a}[1 + floor(random() * cardinality(v.${a}))::int]`
  return `
create unlogged table bench_rows as
with v as (
  select ${arr('region', 'extra')} ra,
         (select array_agg(id order by id) from users where login like 'bench-rep-%') reps,
         ${codes('industry')} ind, ${codes('enterprise_nature')} nat, ${codes('sales_channel')} chan, ${codes('customer_source')} src,
         ${codes('enterprise_size')} siz, ${codes('credit_rating')} cred, ${codes('position')} pos
), d as (
  select g,
    random() as rt,
    case when random() < 0.85 then ${uni(s.regions)} end as r,
    ${stem} as s1,
    case when random() < 0.3 then ${stem} end as s2raw,
    ${skew(s.trades, 1.6)} as t,
    (array[1,1,1,1,1,1,1,1,2,2,2,3,3,4,5,6,7,8,9,10])[${uni(20)}] as x,
    ${skew(s.surnames, 1.5)} as k1s, ${uni(s.given)} as k1g, ${skew(s.surnames, 1.5)} as k2s, ${uni(s.given)} as k2g,
    (2 + floor(random() * 7))::int || lpad(floor(random() * 1e7)::int::text, 7, '0') as land,
    random() < 0.3 as has_fax,
    ${mobile} as m1, ${mobile} as m2,
    random() as fmt1, random() as fmt2,
    random() < 0.5 as off1, random() < 0.5 as off2,
    (800 + floor(random() * 200))::int as ext1, (800 + floor(random() * 200))::int as ext2,
    random() as e0, random() as e1, random() as e2
  from generate_series(1, ${s.customers}) g
)
select d.g as id,
  case when d.rt < 0.80 then 'A' when d.rt < 0.90 then 'B' when d.rt < 0.93 then 'G' else 'P' end as ctype,
  d.r, d.s1, case when d.s2raw <> d.s1 then d.s2raw end as s2, d.t, d.x, d.k1s, d.k1g, d.k2s, d.k2g,
  coalesce(v.ra[d.r], '0' || (10 + d.g % 80)::text) as area, d.land,
  d.has_fax, lpad(((d.land::bigint + 1) % 100000000)::text, 8, '0') as fax_land,
  d.m1, d.m2, d.fmt1, d.fmt2, d.off1, d.off2, d.ext1, d.ext2, d.e0, d.e1, d.e2,
  case when d.g % ${s.heavyEvery} = 0 then v.reps[1] else v.reps[${uni(s.reps)}] end as owner_id,
  ${pick('ind')} as industry, ${pick('nat')} as nature, ${pick('chan')} as channel, ${pick('src')} as source,
  ${pick('siz')} as size, ${pick('cred')} as credit, ${pick('pos')} as pos1, ${pick('pos')} as pos2,
  now() - interval '5 years' * (1 - d.g::float8 / ${s.customers}) - random() * interval '1 day' as created_at
from d, v;

-- the words, initials and e-mail addresses each row is made of, resolved once
create unlogged table bench_names as
with v as (
  select ${arr('region')} rw, ${arr('region', 'ini')} ri, ${arr('region', 'code')} rc,
         ${arr('stem')} sw, ${arr('stem', 'ini')} si, ${arr('stem', 'py')} sp,
         ${arr('trade')} tw, ${arr('trade', 'ini')} ti, ${arr('trade', 'py')} tp,
         ${arr('suffix')} xw, ${arr('suffix', 'ini')} xi,
         ${arr('surname')} nw, ${arr('surname', 'ini')} ni, ${arr('surname', 'py')} np,
         ${arr('given')} gw, ${arr('given', 'ini')} gi, ${arr('given', 'py')} gp
), w as (
  select b.id, b.ctype, b.e0, b.e1, b.e2,
    v.nw[b.k1s] || v.gw[b.k1g] as k1_name, v.ni[b.k1s] || v.gi[b.k1g] as k1_ini, v.np[b.k1s] || v.gp[b.k1g] as k1_py,
    v.nw[b.k2s] || v.gw[b.k2g] as k2_name, v.ni[b.k2s] || v.gi[b.k2g] as k2_ini, v.np[b.k2s] || v.gp[b.k2g] as k2_py,
    coalesce(v.rw[b.r], '') || v.sw[b.s1] || coalesce(v.sw[b.s2], '') || v.tw[b.t] || v.xw[b.x] as co_name,
    coalesce(v.ri[b.r], '') || v.si[b.s1] || coalesce(v.si[b.s2], '') || v.ti[b.t] || v.xi[b.x] as co_ini,
    v.sw[b.s1] || coalesce(v.sw[b.s2], '') as short, v.si[b.s1] || coalesce(v.si[b.s2], '') as short_ini,
    v.sp[b.s1] || coalesce(v.sp[b.s2], '') || v.tp[b.t] || '.com' as domain,
    v.rc[b.r] as region_code, v.rw[b.r] as region_word
  from bench_rows b, v
)
select id, k1_name, k1_ini, k2_name, k2_ini, region_code, region_word,
  case when ctype = 'P' then k1_name else co_name end as name,
  case when ctype = 'P' then k1_ini else co_ini end as name_initials,
  case when ctype <> 'P' and e0 < 0.6 then short end as short_name,
  case when ctype <> 'P' and e0 < 0.6 then short_ini end as short_ini,
  case when ctype = 'P' then case when e0 < 0.4 then k1_py || (id % 1000) || (array['@qq.com', '@163.com', '@126.com'])[1 + id % 3] end
       when e0 < 0.6 then (array['info', 'sales', 'service', 'contact'])[1 + id % 4] || '@' || domain end as email,
  case when e1 < 0.3 then k1_py || (id % 100) || '@' || domain end as k1_email,
  case when e2 < 0.3 then k2_py || (id % 97) || '@' || domain end as k2_email
from w;
create unique index on bench_names (id);
`
}

/** customers, with every derived column; contacts ids are 2·id−1 (main) and 2·id */
export function customersSql(s: Sizes): string {
  const grade = `(array['A','B','B','B','C','C','C','C','C','C','D','D','D','D','D','D','D','D','E','E'])[1 + floor(random() * 20)::int]`
  const status = `(array['potential','potential','potential','potential','interested','interested','interested','won','won','lost','dead'])[1 + floor(random() * 11)::int]`
  return `
insert into customers (id, code, customer_type, name, short_name, email, main_contact_id, region_code, address, phone, fax,
  nature, industry, sales_channel, size, credit, grade, status, source, tags, owner_id, registered_on, entered_by,
  review_state, reviewed_by, reviewed_at, name_initials, first_letter, search_grams, search_text, created_at, updated_at)
select b.id, b.ctype || '-' || lpad(b.id::text, greatest(6, length(b.id::text)), '0'), b.ctype, n.name, n.short_name, n.email, 2 * b.id - 1, n.region_code,
  case when n.region_word is not null then n.region_word || '市' || (array['中山路','人民路','建设路','解放路','和平路','新华路','长江路','科技园路'])[1 + b.id % 8] || (1 + b.id % 388) || '号' end,
  b.area || '-' || b.land, case when b.has_fax then b.area || '-' || b.fax_land end,
  case when b.ctype = 'P' then 'PERSON' else b.nature end, b.industry, b.channel, b.size, b.credit, ${grade}, ${status}, b.source,
  case when b.e1 < 0.1 then array[(array['重点','VIP','老客户','展会','渠道'])[1 + b.id % 5]] else '{}'::text[] end,
  b.owner_id, b.created_at::date, b.owner_id,
  case when b.e2 < 0.985 then 'approved' when b.e2 < 0.995 then 'pending' else 'rejected' end,
  case when b.e2 < 0.985 then b.owner_id end, case when b.e2 < 0.985 then b.created_at end,
  n.name_initials,
  case when upper(left(n.name_initials, 1)) between 'A' and 'Z' then upper(left(n.name_initials, 1)) else '#' end,
  array(select distinct gm from unnest(array[n.name, n.short_name, n.k1_name, n.k2_name]) t(w),
        lateral (select substr(t.w, i, 1) from generate_series(1, char_length(t.w)) i
                 union all select substr(t.w, i, 2) from generate_series(1, char_length(t.w) - 1) i) q(gm)),
  concat_ws(' ', lower(b.ctype || '-' || lpad(b.id::text, greatest(6, length(b.id::text)), '0')), n.email, n.name_initials, n.short_ini,
    n.k1_email, n.k1_ini, n.k2_email, n.k2_ini,
    b.area || b.land, case when b.has_fax then b.area || b.fax_land end,
    case when b.off1 then b.area || b.land end, b.m1,
    case when b.off2 then b.area || b.land end, b.m2),
  b.created_at, b.created_at
from bench_rows b join bench_names n on n.id = b.id
order by b.id;
`
}

/** a mobile as people type it: 13812345678, 138-1234-5678 or +86 138 1234 5678 */
const mobileDisplay = (m: string, f: string) =>
  `case when ${f} < 0.6 then ${m} when ${f} < 0.8 then substr(${m}, 1, 3) || '-' || substr(${m}, 4, 4) || '-' || substr(${m}, 8) ` +
  `else '+86 ' || substr(${m}, 1, 3) || ' ' || substr(${m}, 4, 4) || ' ' || substr(${m}, 8) end`

export function contactsSql(): string {
  const one = (k: 1 | 2) => `
select 2 * b.id - ${2 - k}, b.id, n.k${k}_name, case when random() < 0.5 then 'M' else 'F' end,
  case when random() < 0.6 then date '1965-01-01' + floor(random() * 12800)::int end, b.pos${k},
  case when b.off${k} then b.area || '-' || b.land || '转' || b.ext${k} end, ${mobileDisplay(`b.m${k}`, `b.fmt${k}`)},
  n.k${k}_email,
  ${k === 1 ? 'true' : 'false'}, true, b.owner_id, b.created_at, b.created_at
from bench_rows b join bench_names n on n.id = b.id`
  return `
insert into contacts (id, customer_id, name, gender, birthday, position, office_phone, mobile, email, is_key, valid, updated_by, created_at, updated_at)
select * from (${one(1)}
union all ${one(2)}) c order by 1;
`
}

export function phonesSql(): string {
  return `
insert into customer_phones (customer_id, contact_id, phone, last4)
select customer_id, contact_id, p, right(p, 4) from (
  select id as customer_id, null::int as contact_id, area || land as p from bench_rows
  union all select id, null, area || fax_land from bench_rows where has_fax
  union all select id, 2 * id - 1, area || land from bench_rows where off1
  union all select id, 2 * id - 1, m1 from bench_rows
  union all select id, 2 * id, area || land from bench_rows where off2
  union all select id, 2 * id, m2 from bench_rows
) x order by customer_id;
`
}

/** commsPer records per customer, heavyComms more for every heavyEvery-th; one timeline row each, plus "created" */
export function communicationsSql(s: Sizes): string {
  return `
insert into communications (customer_id, contact_id, kind, at, user_id, summary, next_step, next_date, next_done, created_at)
select c.id, case when random() < 0.7 then 2 * c.id - 1 when random() < 0.5 then 2 * c.id end,
  (array['call','call','call','call','visit','visit','email','email','meeting'])[1 + floor(random() * 9)::int], a.at, c.owner_id,
  (select array_agg(word order by i) from bench_words where kind = 'summary')[1 + floor(random() * ${s.summaries})::int],
  case when a.k = 1 and random() < 0.3 then (select array_agg(word order by i) from bench_words where kind = 'next')[1 + floor(random() * ${s.nextSteps})::int] end,
  case when a.k = 1 and random() < 0.3 then (a.at + interval '7 days')::date end,
  a.at < now() - interval '10 days', a.at
from bench_rows c,
  lateral (select k, c.created_at + random() * (now() - c.created_at) as at
           from generate_series(1, case when c.id % ${s.heavyEvery} = 0 then ${s.commsPer + s.heavyComms} else ${s.commsPer} end) k) a
order by c.id, a.at;

insert into customer_timeline (customer_id, at, kind, ref_id, title, user_id)
select customer_id, at, 'communication.' || kind, id::text, summary, user_id from communications order by id;
insert into customer_timeline (customer_id, at, kind, title, user_id)
select id, created_at, 'customer.created', code || ' ' || name, owner_id from customers order by id;
`
}
