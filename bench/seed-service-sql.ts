// The set-based SQL that adds the service desk to a seeded benchmark database (see
// seed-service.ts): 10 service requests per customer spread over three years, their
// follow-up log, one customer_timeline row per request with a customer, the agents'
// appointments and a small do-not-call list. One INSERT … SELECT per table over
// generate_series; the words come from the unlogged tables bench_sr_tpl (request
// templates with their search grams and Latin tokens, computed in JS with the app's
// own functions) and bench_sr_names (person names with their grams).
//
// Time axis: request g (1…N) was received at t0 + g·step (whole milliseconds, so the
// office day of every request is exact), the last one at the seed's "now". Numbers
// are SR-<office day>-<n>, n counting from 1 each day; bench_sr_days holds the first
// g of every day, so n = g − first + 1 without sorting ten million rows.
//
// Statuses follow age: the last day's requests are mostly open, those older than a
// month 89 % archived, 9 % answered and 2 % still open (overdue). Only numbers
// computed in seed-service.ts and the validated time zone are interpolated.
import { DUE_HOURS } from '../src/modules/service-desk/requests-service.ts'

export interface ServiceSizes {
  requests: number
  customers: number
  /** whole ms since the epoch: request g was received at t0 + g·step */
  t0: number
  step: number
  timeZone: string
  /** office dates 'YYYY-MM-DD' of the first and the last request */
  firstDay: string
  lastDay: string
  /** weighted template ids (1-based), picked uniformly: categories come out skewed */
  templatePick: number[]
  notes: number
}

/** a time zone name as an SQL literal (it comes from the config; checked anyway) */
export const zone = (tz: string) => {
  if (!/^[A-Za-z0-9_+\-/]+$/.test(tz)) throw new Error(`unexpected time zone ${tz}`)
  return `'${tz}'`
}
const agents = `(select array_agg(id order by login) from users where login like 'bench-agent-%')`
/** the request's due time: received + DUE_HOURS of its priority (requests-service.ts) */
const dueHours = (p: string) => `(case ${p} ${Object.entries(DUE_HOURS).map(([k, h]) => `when '${k}' then ${h}`).join(' ')} end)`

export function requestDaysSql(s: ServiceSizes): string {
  return `
drop table if exists bench_sr_days;
create unlogged table bench_sr_days as
select d::date as day,
  greatest(1, ((extract(epoch from (d::date::timestamp at time zone ${zone(s.timeZone)})) * 1000)::bigint - ${s.t0} + ${s.step} - 1) / ${s.step})::int as g0
from generate_series(date '${s.firstDay}', date '${s.lastDay}', interval '1 day') d;
create unique index on bench_sr_days (day);
`
}

export function requestsSql(s: ServiceSizes): string {
  const now = `(timestamptz 'epoch' + ${s.t0 + s.requests * s.step}::bigint * interval '1 millisecond')`
  const status = (a: number, b: number, c: number) => `case when w.r_status < ${a} then 'received' when w.r_status < ${b} then 'in_progress' when w.r_status < ${c} then 'answered' else 'archived' end`
  const answeredAfter = `x.at + ${dueHours('x.priority')} * (0.1 + 1.2 * x.r_late) * interval '1 hour'`
  const phone = `case when c.r_phone < 0.7 then k.mobile else cu.phone end`
  // every level with random() is evaluated once per row; `offset 0` keeps the levels
  // above from being folded together (which would evaluate each case once per use)
  return `
insert into service_requests (id, number, received_at, channel, caller_phone, caller_phone_norm, caller_name, customer_id, contact_id,
  category, subject, content, answer, status, priority, assignee_id, created_by, due_at, is_lead, answered_at, archived_at,
  search_grams, search_text, version, created_at, updated_at)
select z.g, z.number, z.at, z.channel, z.caller_phone, z.phone_norm, z.caller_name, z.customer_id, z.contact_id,
  t.category, t.subject, case when z.r_content < 0.85 then t.content end, case when z.has_answer then t.answer end,
  z.status, z.priority, z.assignee_id, z.created_by, z.at + ${dueHours('z.priority')} * interval '1 hour', false, z.answered_at, z.archived_at,
  case when n.grams is null then z.tg else z.tg || array(select q from unnest(n.grams) q where q <> all(z.tg)) end,
  concat_ws(' ', lower(z.number), nullif(t.tok_s, ''), case when z.r_content < 0.85 then nullif(t.tok_c, '') end,
    case when z.has_answer then nullif(t.tok_a, '') end, z.phone_norm),
  z.version, z.at, z.updated_at
from (
  select y.*,
    case when y.r_content < 0.85 and y.has_answer then t.g11 when y.r_content < 0.85 then t.g10 when y.has_answer then t.g01 else t.g00 end as tg,
    case y.status when 'received' then y.at when 'in_progress' then y.at + (0.2 + 2 * y.r_late) * interval '1 hour'
      when 'answered' then y.answered_at else y.archived_at end as updated_at,
    case y.status when 'received' then 1 when 'in_progress' then 2 when 'answered' then case when y.direct then 1 else 2 end
      else case when y.direct then 2 else 3 end end as version
  from (
    select x.*,
      x.r_answer < 0.2 or x.status in ('answered', 'archived') as has_answer,
      x.r_direct < 0.6 and x.status in ('answered', 'archived') as direct,
      case when x.status in ('answered', 'archived') then case when x.r_direct < 0.6 then x.at else least(${now}, ${answeredAfter}) end end as answered_at,
      case when x.status = 'archived' then least(${now}, case when x.r_direct < 0.6 then x.at else ${answeredAfter} end + (1 + 6 * x.r_arch) * interval '1 day') end as archived_at,
      -- a few open e-mail and web requests wait for a supervisor to assign them
      case when x.status in ('received', 'in_progress') and x.channel in ('email', 'web') and x.r_assign > 0.7 then null else x.assignee0 end as assignee_id
    from (
      select w.*,
        case when w.age_h < 24 then ${status(0.5, 0.7, 0.95)} when w.age_h < 168 then ${status(0.1, 0.25, 0.7)}
             when w.age_h < 720 then ${status(0.02, 0.07, 0.4)} else ${status(0.005, 0.02, 0.11)} end as status
      from (
        select c.*, 'SR-' || to_char(dd.day, 'YYYYMMDD') || '-' || lpad((c.g - dd.g0 + 1)::text, greatest(4, length((c.g - dd.g0 + 1)::text)), '0') as number,
          extract(epoch from (${now} - c.at)) / 3600 as age_h,
          case when c.channel = 'phone' then case when c.known then ${phone}
            when c.r_fmt < 0.5 then c.unknown_phone else substr(c.unknown_phone, 1, 3) || '-' || substr(c.unknown_phone, 4, 4) || '-' || substr(c.unknown_phone, 8) end end as caller_phone,
          case when c.channel = 'phone' then case when c.known then regexp_replace(replace(${phone}, '+86 ', ''), '[^0-9]', '', 'g') else c.unknown_phone end end as phone_norm,
          case when c.known then case when c.r_name < 0.7 then k.name end when c.r_name < 0.6 then c.names[1 + floor(c.r_name / 0.6 * cardinality(c.names))::int] end as caller_name,
          case when c.known then c.cust end as customer_id, case when c.known then k.id end as contact_id,
          c.agents[1 + (c.g + case when c.r_assign < 0.1 then 1 + floor(c.r_late * 4)::int else 0 end) % cardinality(c.agents)] as assignee0,
          c.agents[1 + c.g % cardinality(c.agents)] as created_by
        from (
          select b.*,
            case when b.r_chan < 0.75 then 'phone' when b.r_chan < 0.85 then 'email' when b.r_chan < 0.95 then 'web' else 'visit' end as channel,
            b.r_chan >= 0.75 or b.r_known < 0.85 as known,
            case when b.r_prio < 0.05 then 'urgent' when b.r_prio < 0.2 then 'high' when b.r_prio < 0.9 then 'normal' else 'low' end as priority
          from (
            select g, timestamptz 'epoch' + (${s.t0}::bigint + g::bigint * ${s.step}) * interval '1 millisecond' as at,
              random() as r_chan, random() as r_known, random() as r_prio, random() as r_status, random() as r_late, random() as r_arch,
              random() as r_phone, random() as r_name, random() as r_fmt, random() as r_assign, random() as r_direct, random() as r_content,
              random() as r_answer, random() < 0.7 as main_contact,
              (array[${s.templatePick.join(',')}])[1 + floor(random() * ${s.templatePick.length})::int] as tpl,
              (1 + floor(random() * ${s.customers}))::int as cust,
              '17' || lpad(((1 + floor(random() * ${Math.max(10, Math.floor(s.requests / 30))}))::bigint * 104729 % 1000000000)::text, 9, '0') as unknown_phone,
              v.agents, v.names
            from generate_series(1, ${s.requests}) g,
              (select ${agents} as agents, (select array_agg(name order by i) from bench_sr_names) as names) v
          ) b offset 0
        ) c
        join bench_sr_days dd on dd.day = (c.at at time zone ${zone(s.timeZone)})::date
        left join contacts k on c.known and k.id = 2 * c.cust - case when c.main_contact then 1 else 0 end
        left join customers cu on c.known and cu.id = c.cust
        offset 0
      ) w offset 0
    ) x offset 0
  ) y join bench_sr_tpl t on t.i = y.tpl
  offset 0
) z
join bench_sr_tpl t on t.i = z.tpl
left join bench_sr_names n on n.name = z.caller_name;
`
}

/** the status log as the app writes it, plus a note on every tenth request */
export function followupsSql(s: ServiceSizes): string {
  return `
insert into request_followups (request_id, at, user_id, kind, from_status, to_status, note)
select r.id, f.at, f.user_id, f.kind, f.from_status, f.to_status, f.note
from service_requests r cross join lateral (
  select 1 as k, r.received_at as at, r.created_by as user_id, 'status' as kind, null::varchar as from_status,
    case when r.answered_at = r.received_at then 'answered' else 'received' end::varchar as to_status, null::varchar as note
  union all select 2, r.received_at + (r.updated_at - r.received_at) / 2, coalesce(r.assignee_id, r.created_by), 'note', null, null,
    (select array_agg(word order by i) from bench_sr_words where kind = 'note')[1 + r.id % ${s.notes}]
    where r.id % 10 = 3 and r.updated_at > r.received_at
  union all select 3, r.updated_at, coalesce(r.assignee_id, r.created_by), 'status', 'received', 'in_progress', null where r.status = 'in_progress'
  union all select 4, r.answered_at, coalesce(r.assignee_id, r.created_by), 'status', 'received', 'answered', null
    where r.status in ('answered', 'archived') and r.answered_at > r.received_at
  union all select 5, r.archived_at, coalesce(r.assignee_id, r.created_by), 'status', 'answered', 'archived', null where r.status = 'archived'
) f
where r.id <= ${s.requests};
`
}

/** what addTimeline() writes when a request with a customer is saved */
export function timelineSql(s: ServiceSizes): string {
  return `
insert into customer_timeline (customer_id, at, kind, ref_id, title, href, user_id)
select customer_id, received_at, 'request.created', id::text, left(number || ' ' || subject, 300), '/service/requests/' || id, created_by
from service_requests where customer_id is not null and id <= ${s.requests}
order by customer_id, received_at;
`
}

/**
 * The agents' appointments on the office days from `from` to `to` ('YYYY-MM-DD'),
 * 20–35 a day each (30 today), with statuses as seen on `today`: days before the
 * day before yesterday are all closed; the last two days' are left scheduled, for
 * freshenAppointments() (seed-service.ts, before every run) to close 85 % of them;
 * today's and future ones are scheduled.
 */
export function appointmentsSql(p: { customers: number; timeZone: string; from: string; to: string; today: string; now: number }): string {
  const tz = zone(p.timeZone)
  const words = (kind: string) => `(select array_agg(word order by i) from bench_sr_words where kind = '${kind}')`
  return `
insert into appointments (customer_id, contact_id, kind, scheduled_at, purpose, caller_id, status, result, created_by, version, created_at, updated_at)
select x.cust, case when x.r_contact < 0.8 then 2 * x.cust - 1 end, case when x.r_kind < 0.85 then 'callback' else 'visit' end, x.at,
  x.purposes[1 + floor(x.r_purpose * cardinality(x.purposes))::int], x.agent, x.status,
  case x.status when 'done' then x.done[1 + floor(x.r_res * cardinality(x.done))::int] when 'no_answer' then x.no_answer[1 + floor(x.r_res * cardinality(x.no_answer))::int]
    when 'cancelled' then x.cancelled[1 + floor(x.r_res * cardinality(x.cancelled))::int] end,
  x.agent, case when x.status = 'scheduled' then 1 else 2 end,
  least(x.now, x.at - (1 + floor(x.r_res * 7)) * interval '1 day'),
  case when x.status = 'scheduled' then least(x.now, x.at - (1 + floor(x.r_res * 7)) * interval '1 day') else least(x.now, x.at + interval '3 minutes') end
from (
  select w.*,
    case when w.day < date '${p.today}' - 2 then case when w.r_status < 0.78 then 'done' when w.r_status < 0.9 then 'no_answer' else 'cancelled' end
         when w.day < date '${p.today}' then 'scheduled'
         when w.day = date '${p.today}' then 'scheduled'
         else case when w.r_status < 0.97 then 'scheduled' else 'cancelled' end end as status
  from (
    select d::date as day, a.agent, k,
      (d::date::timestamp at time zone ${tz}) + interval '9 hours' + ((k - 1) * 540 / n.per)::int * interval '1 minute' as at,
      (1 + floor(random() * ${p.customers}))::int as cust, random() as r_contact, random() as r_kind, random() as r_purpose, random() as r_status, random() as r_res,
      ${words('purpose')} as purposes, ${words('done')} as done, ${words('no_answer')} as no_answer, ${words('cancelled')} as cancelled,
      timestamptz 'epoch' + ${p.now}::bigint * interval '1 millisecond' as now
    from generate_series(date '${p.from}', date '${p.to}', interval '1 day') d
      cross join (select unnest(${agents}) as agent) a
      cross join lateral (select case when d::date = date '${p.today}' then 30 else 20 + (abs(hashtext(d::date::text || a.agent)) % 16) end as per) n
      cross join lateral generate_series(1, n.per) k
  ) w
) x
order by x.at, x.agent;
`
}

/** one in 2,000 customers asked not to be called on a contact's mobile */
export function dncSql(): string {
  const words = `(select array_agg(word order by i) from bench_sr_words where kind = 'dnc')`
  return `
insert into dnc_numbers (phone, phone_display, reason, created_by)
select distinct on (p.phone) p.phone, p.phone, (${words})[1 + p.customer_id % 3], ${agents}[1]
from customer_phones p where p.customer_id % 2000 = 7 and p.contact_id is not null and p.phone like '1%' and length(p.phone) = 11
order by p.phone
on conflict (phone) do nothing;
`
}

/** daily_counters so that the app's next number of a seeded day follows the seeded ones */
export function countersSql(s: ServiceSizes): string {
  return `
insert into daily_counters (kind, day, n)
select 'SR', d.day, coalesce(lead(d.g0) over (order by d.day), ${s.requests + 1}) - d.g0 from bench_sr_days d
on conflict (kind, day) do update set n = greatest(daily_counters.n, excluded.n);
`
}
