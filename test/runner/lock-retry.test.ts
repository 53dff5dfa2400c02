/**
 * Lock retries: a file that waits for a table lock longer than --lock-timeout is rolled back, so that the
 * application's queries queued behind its request go on; Strata names the session in the way, pauses and tries
 * again, within --lock-retries and --wait; it applies once the blocker ends.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { migrate } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project } from '../support/project.js'

const db = useFreshDatabase(test)

let n = 0
function setup(files: Record<string, string>) {
  const schema = `retry_${++n}`
  return { cwd: project(Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v]))), schema }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A long transaction of another application that has read `table` (ACCESS SHARE until it ends). */
async function longTransaction(table: string) {
  const other = postgres(db.url, { max: 1, prepare: false, onnotice: () => {}, connection: { application_name: 'report-job' } })
  const reserved = await other.reserve()
  await reserved`begin`
  await reserved.unsafe(`select count(*) from ${table}`)
  return {
    end: async () => {
      await reserved`commit`
      reserved.release()
      await other.end()
    },
  }
}

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 300 && !check(); i++) await sleep(50)
  if (!check()) throw new Error(`timed out waiting until ${what}`)
}

test("while a long transaction holds the table, the application's reads go through between attempts; the file applies once it ends", async () => {
  await db.sql`create table retry_orders (id int)`
  const t = setup({ '001_note.sql': 'alter table retry_orders add column if not exists note text;' })
  const blocker = await longTransaction('retry_orders')
  const waits: string[] = []
  const running = migrate({
    url: db.url,
    ...t,
    lockTimeout: '300ms',
    waitMs: 60_000,
    onProgress: (e) => void (e.type === 'waiting' && waits.push(e.message)),
  })
  await until(() => waits.length > 0, 'strata said it waits')
  // An application read issued now must not queue behind strata's ACCESS EXCLUSIVE request until the blocker ends.
  let readBeforeEnd = false
  const app = postgres(db.url, { max: 1, prepare: false, onnotice: () => {} })
  const read = app`select count(*) from retry_orders`.then(() => (readBeforeEnd = true))
  await Promise.race([read, sleep(8000)])
  await blocker.end()
  await read
  await app.end()
  assert.ok(readBeforeEnd, "the application's read finished while the long transaction still held the table")
  const result = await running
  assert.equal(
    result.applied.map((a) => a.path),
    ['migrations/001_note.sql'],
  )
  assert.match(waits[0], /migrations\/001_note\.sql: a lock was not free within --lock-timeout 300ms; rolled back/)
  assert.match(waits[0], /attempt 2 of 11/)
  assert.match(waits[0], /retry_orders is locked \(AccessShareLock\) by pid \d+ \(report-job/)
  const [col] =
    await db.sql`select count(*)::int as n from information_schema.columns where table_name = 'retry_orders' and column_name = 'note'`
  assert.is(col.n, 1)
})

test('when the retries run out, the error says how many attempts, where the file waited and who holds the table', async () => {
  await db.sql`create table retry_busy (id int)`
  const t = setup({ '001_a.sql': 'select 1;\nalter table retry_busy add column if not exists extra int;' })
  const blocker = await longTransaction('retry_busy')
  const waits: string[] = []
  try {
    const err = await failure(
      migrate({
        url: db.url,
        ...t,
        lockTimeout: '100ms',
        lockRetries: 2,
        onProgress: (e) => void (e.type === 'waiting' && waits.push(e.message)),
      }),
    )
    assert.is(err.code, 'migration')
    assert.is(err.exitCode, 1)
    assert.is(err.facts.sqlstate, '55P03')
    assert.is(err.facts.attempts, 3)
    assert.is(err.facts.line, 2)
    assert.match(err.message, /^migrations\/001_a\.sql:2:1: .*lock timeout.*\(gave up after 3 attempts of 100ms each\)/)
    assert.match((err.facts.blockers as string[]).join('\n'), /retry_busy is locked \(AccessShareLock\) by pid \d+ \(report-job/)
    assert.is(waits.length, 2)
  } finally {
    await blocker.end()
  }
  const [col] = await db.sql`select count(*)::int as n from information_schema.columns where table_name = 'retry_busy'`
  assert.is(col.n, 1, 'nothing of the file was applied')
})

test('--wait bounds the retries as a whole', async () => {
  await db.sql`create table retry_wait (id int)`
  const t = setup({ '001_a.sql': 'alter table retry_wait add column if not exists extra int;' })
  const blocker = await longTransaction('retry_wait')
  try {
    const err = await failure(migrate({ url: db.url, ...t, lockTimeout: '50ms', lockRetries: 1000, waitMs: 800 }))
    assert.is(err.facts.sqlstate, '55P03')
    assert.ok((err.facts.attempts as number) < 1001, `${err.facts.attempts} attempts`)
  } finally {
    await blocker.end()
  }
})

test('--single-transaction: a lock timeout rolls the whole run back and tries it again', async () => {
  await db.sql`create table retry_single (id int)`
  const t = setup({
    '001_new.sql': 'create table if not exists retry_single_new (id int);',
    '002_alter.sql': 'alter table retry_single add column if not exists extra int;',
  })
  const blocker = await longTransaction('retry_single')
  const waits: string[] = []
  const running = migrate({
    url: db.url,
    ...t,
    singleTransaction: true,
    lockTimeout: '200ms',
    onProgress: (e) => void (e.type === 'waiting' && waits.push(e.message)),
  })
  await until(() => waits.length > 0, 'strata said it waits')
  assert.match(waits[0], /migrations\/002_alter\.sql: a lock was not free/)
  await blocker.end()
  const result = await running
  assert.is(result.applied.length, 2)
  const rows = await db.sql.unsafe(`select version::int from ${t.schema}.migrations order by 1`)
  assert.equal(
    rows.map((r) => r.version),
    [1, 2],
  )
})

test('no-transaction files: a statement that may run in a transaction gets --lock-timeout and retries; CREATE INDEX CONCURRENTLY runs alone', async () => {
  await db.sql`create table retry_notx (id int)`
  const t = setup({
    '001_notx.sql':
      '-- strata:no-transaction\nalter table retry_notx add column if not exists extra int;\ncreate index concurrently if not exists retry_notx_extra on retry_notx (extra);',
  })
  const blocker = await longTransaction('retry_notx')
  const waits: string[] = []
  const running = migrate({
    url: db.url,
    ...t,
    lockTimeout: '200ms',
    onProgress: (e) => void (e.type === 'waiting' && waits.push(e.message)),
  })
  await until(() => waits.length > 0, 'strata said it waits')
  assert.match(waits[0], /migrations\/001_notx\.sql: a lock was not free/)
  await blocker.end()
  assert.is((await running).applied.length, 1)
  const [index] = await db.sql`select indisvalid from pg_index where indexrelid = to_regclass('retry_notx_extra')`
  assert.is(index.indisvalid, true)
})

test('no-transaction files with --lock-retries 0: the statement that waited is named, the row marked failed', async () => {
  await db.sql`create table retry_notx_fail (id int)`
  const t = setup({
    '001_notx.sql': '-- strata:no-transaction\nselect 1;\nalter table retry_notx_fail add column if not exists extra int;',
  })
  const blocker = await longTransaction('retry_notx_fail')
  try {
    const err = await failure(migrate({ url: db.url, ...t, lockTimeout: '200ms', lockRetries: 0 }))
    assert.is(err.facts.sqlstate, '55P03')
    assert.is(err.facts.line, 3)
    assert.match(err.message, /^migrations\/001_notx\.sql:3:1: /)
    assert.match((err.facts.blockers as string[]).join('\n'), /report-job/)
  } finally {
    await blocker.end()
  }
  const [row] = await db.sql.unsafe(`select status from ${t.schema}.migrations`)
  assert.is(row.status, 'failed')
})

test.run()
