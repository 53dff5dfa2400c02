/**
 * `strata plan --trace` against a real Postgres: the target is a fresh database with an applied history, the
 * scratch database another fresh one (--scratch-url), so each trace can be checked there too.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { migrate, plan, snapshotSchema, type PlannedFile } from '../../src/index.js'
import { freshDatabase, useFreshDatabase, type TestDatabase } from '../support/db.js'
import { project } from '../support/project.js'

const db = useFreshDatabase(test)
const scratches: TestDatabase[] = []
test.after(async () => {
  for (const s of scratches) await s.drop()
})

async function scratchUrl(): Promise<string> {
  const s = await freshDatabase()
  scratches.push(s)
  return s.url
}

let n = 0
/** A project whose `applied` files are applied to the target (in their own ledger schema) and `pending` are not. */
async function history(applied: Record<string, string>, pending: Record<string, string>) {
  const schema = `plan_${++n}`
  const cwd = project(Object.fromEntries(Object.entries(applied).map(([k, v]) => [`migrations/${k}`, v])))
  await migrate({ url: db.url, cwd, schema })
  const { writeFileSync } = await import('node:fs')
  for (const [k, v] of Object.entries(pending)) writeFileSync(`${cwd}/migrations/${k}`, v)
  return { cwd, schema }
}

async function traced(applied: Record<string, string>, pending: Record<string, string>, extra = {}) {
  const t = await history(applied, pending)
  const scratch = await scratchUrl()
  const result = await plan({ url: db.url, ...t, trace: true, scratchUrl: scratch, ...extra })
  return { result, scratch, ...t }
}

const statement = (file: PlannedFile, line: number) => file.statements.find((s) => s.line === line)!

const base = (table: string) => ({
  '001_base.sql': `create table if not exists ${table} (id int primary key, total int, customer int);
create table if not exists ${table}_customers (id int primary key);
insert into ${table}_customers select g from generate_series(1, 10) g on conflict do nothing;
insert into ${table} select g, g, 1 + g % 10 from generate_series(1, 200) g on conflict do nothing;`,
})

test('a constant-default ADD COLUMN takes AccessExclusiveLock on the table and rewrites nothing', async () => {
  const { result } = await traced(base('t_add'), { '002_add.sql': "alter table t_add add column if not exists note text default 'none';" })
  const s = statement(result.files[0], 1)
  assert.equal(s.locks, [{ relation: 'public.t_add', mode: 'AccessExclusiveLock' }])
  assert.equal(s.rewrites, [])
  assert.is(typeof s.ms, 'number')
  assert.equal(
    s.flags.map((f) => [f.level, f.relation, f.docs]),
    [['danger', 'public.t_add', 'lock-queue']],
  )
  assert.equal(result.files[0].holds, [
    { relation: 'public.t_add', mode: 'AccessExclusiveLock', line: 1, ms: result.files[0].holds![0].ms },
  ])
})

test('a column type change rewrites the table and its index', async () => {
  const { result } = await traced(base('t_type'), { '002_type.sql': 'alter table t_type alter column total type bigint;' })
  const s = statement(result.files[0], 1)
  assert.ok(s.locks!.some((l) => l.relation === 'public.t_type' && l.mode === 'AccessExclusiveLock'))
  assert.equal(s.rewrites, ['public.t_type', 'public.t_type_pkey'])
  const flag = s.flags.find((f) => f.message.startsWith('rewrites public.t_type'))!
  assert.is(flag.level, 'danger')
  assert.is(flag.docs, 'alter-column-type')
})

test('a plain CREATE INDEX takes ShareLock: writes wait', async () => {
  const { result } = await traced(base('t_idx'), { '002_idx.sql': 'create index if not exists t_idx_customer on t_idx (customer);' })
  const s = statement(result.files[0], 1)
  assert.equal(s.locks, [{ relation: 'public.t_idx', mode: 'ShareLock' }])
  assert.equal(s.rewrites, [])
  assert.equal(
    s.flags.map((f) => [f.level, f.docs]),
    [['warning', 'create-index-not-concurrently']],
  )
})

test('CREATE INDEX CONCURRENTLY in a no-transaction file is seen holding ShareUpdateExclusiveLock', async () => {
  const { result } = await traced(base('t_cic'), {
    '002_cic.sql': '-- strata:no-transaction\ncreate index concurrently if not exists t_cic_total on t_cic (total);',
  })
  const file = result.files[0]
  assert.is(file.mode, 'no-transaction')
  const s = statement(file, 2)
  assert.equal(s.locks, [{ relation: 'public.t_cic', mode: 'ShareUpdateExclusiveLock' }])
  assert.equal(
    s.flags.map((f) => f.level),
    ['info'],
  )
  assert.is(file.holds, undefined, 'a no-transaction file holds nothing until a COMMIT')
})

test('NOT VALID then VALIDATE: the foreign key blocks writes briefly; the validation scans under ShareUpdateExclusiveLock', async () => {
  const { result } = await traced(base('t_fk'), {
    '002_fk.sql': `alter table t_fk drop constraint if exists t_fk_customer_fk;
alter table t_fk add constraint t_fk_customer_fk foreign key (customer) references t_fk_customers (id) not valid;
alter table t_fk validate constraint t_fk_customer_fk;`,
  })
  const file = result.files[0]
  const add = statement(file, 2)
  assert.ok(add.locks!.some((l) => l.relation === 'public.t_fk' && l.mode === 'ShareRowExclusiveLock'))
  assert.equal(add.scans, [], 'NOT VALID reads no rows')
  const validate = statement(file, 3)
  assert.ok(validate.locks!.some((l) => l.relation === 'public.t_fk' && l.mode === 'ShareUpdateExclusiveLock'))
  assert.ok(validate.scans!.includes('public.t_fk'), `scans: ${validate.scans}`)
  assert.is(validate.flags.find((f) => f.relation === 'public.t_fk')!.level, 'info')
})

test('plan --trace changes nothing on the target: same catalog, same ledger, same events', async () => {
  const t = await history(base('t_same'), {
    '002_more.sql': `alter table t_same add column if not exists note text;
create table if not exists t_same_new (id int);
-- strata:ignore drop-table
drop table if exists t_same_customers cascade;`,
  })
  const one = postgres(db.url, { max: 1, prepare: false, onnotice: () => {} }) // snapshotSchema runs a transaction on its connection
  const before = await snapshotSchema(one as never)
  const ledger = () => db.sql.unsafe(`select version::int, checksum, status from ${t.schema}.migrations order by 1`)
  const events = () => db.sql.unsafe(`select count(*)::int as n from ${t.schema}.events`)
  const [rows, eventCount] = [await ledger(), await events()]
  const result = await plan({ url: db.url, ...t, trace: true, scratchUrl: await scratchUrl(), sampleRows: 5 })
  assert.is(result.files.length, 1)
  assert.ok(
    result.files[0].statements.every((s) => s.ms !== null),
    'every statement was traced',
  )
  assert.equal(await snapshotSchema(one as never), before)
  await one.end()
  assert.equal(await ledger(), rows)
  assert.equal(await events(), eventCount)
  const [{ count }] = await db.sql`select count(*)::int from t_same_customers`
  assert.is(count, 10, 'the rows are still there')
})

test('--sample-rows copies up to N rows of each table from the target into the scratch database', async () => {
  const t = await history(
    { '001_events.sql': 'create table if not exists t_events (id int primary key, body text);' },
    {
      '002_type.sql': 'alter table t_events alter column body type varchar(100);',
    },
  )
  await db.sql`insert into t_events select g, 'event ' || g from generate_series(1, 50) g`
  const scratch = await freshDatabase()
  scratches.push(scratch)
  const result = await plan({ url: db.url, ...t, trace: true, scratchUrl: scratch.url, sampleRows: 20 })
  assert.is(result.scratch!.sampleRows, 20)
  const [{ count }] = await scratch.sql`select count(*)::int from t_events`
  assert.is(count, 20)
  assert.equal(result.sizes!['public.t_events'], { rows: 50, estimated: false, bytes: result.sizes!['public.t_events'].bytes })
})

test('a pending file that fails on the scratch database is reported at its line, and the plan is not ok', async () => {
  const { result } = await traced(base('t_fail'), {
    '002_bad.sql': 'alter table t_fail add column if not exists note text;\nalter table t_fail add column total int;',
    '003_after.sql': 'create table if not exists t_fail_after (id int);',
  })
  assert.is(result.ok, false)
  const [bad, after] = result.files
  assert.is(bad.error!.line, 2)
  assert.is(bad.error!.sqlstate, '42701')
  assert.ok(
    after.statements.every((s) => s.ms === null),
    'the file after a failed one is not traced',
  )
})

test('destructive statements: the data at risk with its row count on the target', async () => {
  const { result } = await traced(base('t_risk'), {
    '002_drop.sql': '-- strata:ignore drop-column\nalter table t_risk drop column if exists total;',
  })
  assert.equal(result.files[0].atRisk, [{ line: 2, rule: 'drop-column', what: 't_risk.total', rows: 200 }])
})

test.run()
