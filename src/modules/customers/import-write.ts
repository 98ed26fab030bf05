// The SQL half of an import: duplicate flags over the staged rows, and the
// all-or-nothing write. Rows were validated and their search columns derived by the
// dry run (import-validate.ts), so the write is set-based: one transaction that
// assigns ids and codes from the sequences in file order, then inserts customers,
// contacts, phones, timeline and audit rows range by range with INSERT … SELECT.
// Nothing is visible to anyone until it commits; any failure leaves nothing behind.
import { sql, type RawBuilder } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { ioDb, type IoDB } from './io-tables.ts'
import { CONTACT_COLUMNS, CUSTOMER_COLUMNS } from './import-validate.ts'
import { CODE_FIELDS } from './schemas.ts'

/** rows per INSERT … SELECT inside the write transaction */
export const WRITE_RANGE = 5000

/**
 * The pool's statement_timeout (STATEMENT_TIMEOUT_MS, 5 s by default) guards request
 * queries; the set-based statements of an import work on up to 200,000 rows and get
 * this much instead, for their own transaction only.
 */
const IMPORT_STATEMENT_TIMEOUT_MS = 300_000
// JIT compiling took 0.34–0.41 s of each duplicate check's run on the bench database
// (EXPLAIN ANALYZE), more than the checks themselves take now.
const longStatements = (trx: IoDB) => sql`select set_config('statement_timeout', ${String(IMPORT_STATEMENT_TIMEOUT_MS)}, true), set_config('jit', 'off', true)`.execute(trx)

/**
 * The customer search's GIN indexes. Entered one row at a time into an index of a
 * million customers, a 5,000-row range took 2.0–2.6 s, most of it these two (0.44 s
 * without them). So the write lets their pending lists grow for its own transaction
 * and merges them in one pass after each range (gin_clean_pending_list), which keeps
 * what concurrent searches must read to one range. SET LOCAL ends with the
 * transaction. Merging needs the index's owner, as VACUUM does; a role that does not
 * own them writes the old way.
 */
const SEARCH_GIN_INDEXES = ['customers_grams_idx', 'customers_text_trgm_idx']
const GIN_BULK_LIMIT_KB = 1024 * 1024

async function batchGinInserts(trx: IoDB): Promise<(() => Promise<unknown>) | undefined> {
  const owned = await sql<{ ok: boolean }>`
    select bool_and(pg_has_role(c.relowner, 'USAGE')) as ok from pg_class c
     where c.oid in (${sql.join(SEARCH_GIN_INDEXES.map((i) => sql`${i}::regclass`))})`.execute(trx)
  if (!owned.rows[0]?.ok) return undefined
  await sql`select set_config('gin_pending_list_limit', ${String(GIN_BULK_LIMIT_KB)}, true)`.execute(trx)
  const merge = sql`select ${sql.join(SEARCH_GIN_INDEXES.map((i) => sql`gin_clean_pending_list(${i}::regclass)`))}`
  return () => merge.execute(trx)
}

/** Something the dry run accepted is no longer true (an owner left, a code was disabled). */
export class DataChanged extends Error {}

/**
 * Marks staged rows that repeat an existing customer's name or phone, or an earlier
 * row of the same file. Existing customers win over earlier rows in the message.
 * The name check probes customers_lower_name_idx once per row, phones
 * customer_phones' index: the LATERAL … OFFSET 0 keeps the planner from turning
 * them into joins. As joins, it sorted or hashed all 1,000,000 customers (and all
 * 4,300,000 phones) for 100,000 rows: 3.0–3.4 s each against 0.36 s, measured with
 * EXPLAIN ANALYZE on the bench database.
 */
export async function flagDuplicates(io: IoDB, jobId: number): Promise<number> {
  return io.transaction().execute(async (db) => {
    await longStatements(db)
    return flag(db, jobId)
  })
}

async function flag(db: IoDB, jobId: number): Promise<number> {
  await db.updateTable('import_rows').set({ dup: null }).where('job_id', '=', jobId).where('dup', 'is not', null).execute()
  await sql`
    update import_rows r set dup = jsonb_build_object('kind', 'name', 'row', f.first_row)
      from (select row_no, min(row_no) over (partition by lower(name_key)) as first_row
              from import_rows where job_id = ${jobId} and name_key is not null) f
     where r.job_id = ${jobId} and r.row_no = f.row_no and f.first_row < f.row_no`.execute(db)
  await sql`
    with p as (select row_no, unnest(phones) as phone from import_rows where job_id = ${jobId}),
         f as (select phone, min(row_no) as first_row from p group by phone),
         d as (select p.row_no, min(f.first_row) as first_row from p join f using (phone) where f.first_row < p.row_no group by p.row_no)
    update import_rows r set dup = jsonb_build_object('kind', 'phone', 'row', d.first_row)
      from d where r.job_id = ${jobId} and r.row_no = d.row_no and r.dup is null`.execute(db)
  await sql`
    update import_rows r set dup = jsonb_build_object('kind', 'name', 'code', d.code, 'name', d.name)
      from (select distinct on (s.row_no) s.row_no, c.code, c.name
              from import_rows s cross join lateral (
                     select c.id, c.code, c.name from customers c
                      where lower(c.name) = lower(s.name_key) and c.deleted_at is null and c.merged_into is null offset 0) c
             where s.job_id = ${jobId} and s.name_key is not null order by s.row_no, c.id) d
     where r.job_id = ${jobId} and r.row_no = d.row_no`.execute(db)
  await sql`
    update import_rows r set dup = jsonb_build_object('kind', 'phone', 'code', d.code, 'name', d.name)
      from (select distinct on (p.row_no) p.row_no, c.code, c.name
              from (select row_no, unnest(phones) as phone from import_rows where job_id = ${jobId}) p
              cross join lateral (
                     select c.id, c.code, c.name from customer_phones cp
                       join customers c on c.id = cp.customer_id and c.deleted_at is null and c.merged_into is null
                      where cp.phone = p.phone offset 0) c
             order by p.row_no, c.id) d
     where r.job_id = ${jobId} and r.row_no = d.row_no and (r.dup is null or r.dup ? 'row')`.execute(db)
  const { n } = await db.selectFrom('import_rows').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('job_id', '=', jobId).where('errors', 'is', null).where('dup', 'is not', null).executeTakeFirstOrThrow()
  return Number(n)
}

const recordType = (cols: Record<string, string>) => sql.raw(Object.entries(cols).map(([k, t]) => `${k} ${t}`).join(', '))

/** Refuses the write when an owner or a code the dry run accepted is no longer valid. */
async function recheck(trx: IoDB, user: Principal, jobId: number, included: RawBuilder<boolean>) {
  const owners = trx.selectFrom('import_rows as r').select('r.row_no').where('r.job_id', '=', jobId).where(included)
  const badOwner = user.perms.has('customers.assign')
    ? await owners.where(sql<boolean>`(r.customer->>'owner_id')::int not in (select u.id from users u where u.active and ${inScope(user, 'u.id')})`).limit(1).executeTakeFirst()
    : await owners.where(sql<boolean>`(r.customer->>'owner_id')::int <> ${user.id}`).limit(1).executeTakeFirst()
  if (badOwner) throw new DataChanged()
  const fields = Object.entries({ ...CODE_FIELDS }).map(([f, kind]) => sql`(${kind}, r.customer->>${f})`)
  const badCode = await sql`
    select r.row_no from import_rows r cross join lateral (values ${sql.join(fields)}, ('position', r.contact->>'position')) v(kind, code)
     where r.job_id = ${jobId} and ${included} and v.code is not null
       and not exists (select 1 from code_items ci where ci.kind = v.kind and ci.code = v.code and ci.enabled)
     limit 1`.execute(trx)
  if (badCode.rows.length) throw new DataChanged()
}

export interface WriteResult { imported: number }

/**
 * The all-or-nothing write. `skipDuplicates` leaves flagged rows out. Calls
 * `progress(rowsDone)` after each range (in-process only: the transaction's own
 * updates are invisible to other sessions until it commits).
 */
export async function writeImport(db: DB, actor: Actor, user: Principal, job: { id: number; file_name: string; skip_duplicates: boolean },
  progress: (done: number, total: number) => void): Promise<WriteResult> {
  const jobId = job.id
  const included = job.skip_duplicates ? sql<boolean>`r.errors is null and r.dup is null` : sql<boolean>`r.errors is null`
  return db.transaction().execute(async (plain) => {
    const trx = ioDb(plain)
    await longStatements(trx)
    await recheck(trx, user, jobId, included)
    const mergeGin = await batchGinInserts(trx)
    // ids and codes from the sequences, in file order, into a narrow temporary table
    // (rewriting the wide staged rows would cost more than the inserts)
    await sql`
      create temporary table import_ids on commit drop as
      select o.row_no, o.customer_id, o.contact_id,
             upper(o.customer_type) || '-' || case when length(o.n) >= 6 then o.n else lpad(o.n, 6, '0') end as code
        from (select s.row_no, s.customer_type, nextval(pg_get_serial_sequence('customers', 'id'))::int as customer_id,
                     nextval('customer_code_seq')::text as n,
                     case when s.has_contact then nextval(pg_get_serial_sequence('contacts', 'id'))::int end as contact_id
                from (select r.row_no, r.customer->>'customer_type' as customer_type, r.contact is not null as has_contact
                        from import_rows r where r.job_id = ${jobId} and ${included} order by r.row_no) s) o`.execute(trx)
    const span = await sql<{ lo: number | null; hi: number | null; n: number }>`
      select min(row_no) as lo, max(row_no) as hi, count(*)::int as n from import_ids`.execute(trx).then((r) => r.rows[0])
    const total = Number(span.n)
    const cols = Object.keys(CUSTOMER_COLUMNS)
    const kcols = Object.keys(CONTACT_COLUMNS)
    let done = 0
    for (let lo = Number(span.lo ?? 1); total > 0 && lo <= Number(span.hi); lo += WRITE_RANGE) {
      // One statement per range. Customers point at their main contact and contacts at
      // their customer; a foreign key is checked at the end of the statement, so both
      // rows go in together and no UPDATE of the fresh customers is needed.
      const res = await sql<{ n: number }>`
        with src as (
          select r.customer, r.contact, r.name_initials, r.first_letter, r.search_grams, r.search_rest, r.phone_rows, i.row_no, i.customer_id, i.contact_id, i.code
            from import_ids i join import_rows r on r.job_id = ${jobId} and r.row_no = i.row_no
           where i.row_no >= ${lo} and i.row_no < ${lo + WRITE_RANGE}
        ),
        cust as (
          insert into customers (id, code, main_contact_id, ${sql.raw(cols.join(', '))}, reviewed_at, name_initials, first_letter, search_grams, search_text)
          select s.customer_id, s.code, s.contact_id, ${sql.raw(cols.map((c) => (c === 'registered_on' ? 'coalesce(x.registered_on, current_date)' : `x.${c}`)).join(', '))},
                 case when x.review_state = 'approved' then now() end, s.name_initials, s.first_letter, s.search_grams,
                 left(case when s.search_rest = '' then lower(s.code) else lower(s.code) || ' ' || s.search_rest end, 4000)
            from src s cross join lateral jsonb_to_record(s.customer) as x(${recordType(CUSTOMER_COLUMNS)})
           order by s.row_no
          returning 1
        ),
        cont as (
          insert into contacts (id, customer_id, ${sql.raw(kcols.join(', '))}, updated_by)
          select s.contact_id, s.customer_id, ${sql.raw(kcols.map((c) => `k.${c}`).join(', '))}, ${user.id}::int
            from src s cross join lateral jsonb_to_record(s.contact) as k(${recordType(CONTACT_COLUMNS)})
           where s.contact_id is not null
        ),
        phones as (
          insert into customer_phones (customer_id, contact_id, phone, last4)
          select s.customer_id, case when (p->>'contact')::boolean then s.contact_id end, p->>'phone', p->>'last4'
            from src s cross join lateral jsonb_array_elements(s.phone_rows) p
        ),
        timeline as (
          insert into customer_timeline (customer_id, kind, title, user_id)
          select s.customer_id, 'customer.created', left(s.code || ' ' || (s.customer->>'name'), 300), ${user.id}::int from src s
        ),
        -- one audit row per customer with its fields as [before, after] the way audit()
        -- writes them for createCustomer (null values left out), plus what the write assigned
        audited as (
          insert into audit_log (user_id, user_name, ip, request_id, action, entity, entity_id, summary, changes)
          select ${actor.userId}::int, ${actor.userName}, ${actor.ip}, ${actor.requestId}, 'create', 'customer', s.customer_id::text,
                 left(s.code || ' ' || (s.customer->>'name'), 300),
                 (select jsonb_object_agg(e.key, jsonb_build_array(null, e.value)) from jsonb_each(s.customer) e where e.value <> 'null'::jsonb)
                   || jsonb_build_object('id', jsonb_build_array(null, s.customer_id), 'code', jsonb_build_array(null, s.code), 'import_job', jsonb_build_array(null, ${jobId}::int))
                   || case when s.contact_id is null then '{}'::jsonb
                           else jsonb_build_object('main_contact_id', jsonb_build_array(null, s.contact_id), 'main_contact', jsonb_build_array(null, s.contact)) end
            from src s order by s.row_no
        )
        select count(*)::int as n from cust`.execute(trx)
      await mergeGin?.()
      done += Number(res.rows[0]?.n ?? 0)
      progress(done, total)
    }
    const skipped = await trx.selectFrom('import_rows').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId).executeTakeFirstOrThrow().then((r) => ({ n: Number(r.n) - done }))
    await audit(plain, actor, {
      action: 'import', entity: 'customer_import', entityId: jobId, summary: job.file_name,
      detail: { file: job.file_name, imported: done, skipped: Number(skipped.n), skipDuplicates: job.skip_duplicates }
    })
    // the staged rows and the file are not needed once the customers exist
    await trx.deleteFrom('import_rows').where('job_id', '=', jobId).execute()
    await trx.updateTable('import_jobs').set({ state: 'done', imported_count: done, processed: done, file: null, message: null, updated_at: new Date() })
      .where('id', '=', jobId).execute()
    return { imported: done }
  })
}
