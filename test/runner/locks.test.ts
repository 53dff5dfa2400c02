import { test } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { migrate } from '../../src/index.js'
import { ledgerSql } from '../../src/runner/ledger.js'
import { lockKey } from '../../src/runner/lock.js'
import { failure } from '../support/failure.js'
import { useFreshDatabase } from '../support/db.js'
import { project } from '../support/project.js'

const db = useFreshDatabase(test)

/** Another client that holds something in an open transaction until `release()`. */
async function holder(statement: string) {
  const other = postgres(db.url, { max: 1, prepare: false, onnotice: () => {}, connection: { application_name: 'deploy-job-42' } })
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  let ready!: () => void
  const holding = new Promise<void>((r) => (ready = r))
  const done = other.begin(async (tx) => {
    await tx.unsafe(statement)
    ready()
    await released
  })
  await holding
  return {
    release: async () => {
      release()
      await done
      await other.end()
    },
  }
}

const files = (schema: string, f: Record<string, string>) => ({
  cwd: project(Object.fromEntries(Object.entries(f).map(([k, v]) => [`migrations/${k}`, v]))),
  schema,
})

test('a runner waits for the lock, says who holds it, and applies once it is free', async () => {
  const t = files('lock_wait', { '001_a.sql': 'create table if not exists lock_wait_t (id int);' })
  const lock = await holder(`select pg_advisory_xact_lock(${lockKey('lock_wait')})`)
  const messages: string[] = []
  const running = migrate({ url: db.url, ...t, waitMs: 30_000, onProgress: (e) => e.type === 'waiting' && messages.push(e.message) })
  // Until the runner says it waits (a loaded machine may take a while to get there), then a little longer.
  for (let i = 0; i < 200 && !messages.length; i++) await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 200))
  assert.is((await db.sql`select to_regclass('lock_wait_t') as t`)[0].t, null, 'nothing runs while another holds the lock')
  await lock.release()
  const result = await running
  assert.is(result.applied.length, 1)
  assert.ok(messages.length >= 1)
  assert.ok(/waiting for the migration lock, held by pid \d+ \(deploy-job-42, user \w+/.test(messages[0]), messages.join('\n'))
})

test('--wait gives up with a lock error (exit 1) that names the holder, and applies nothing', async () => {
  const t = files('lock_give_up', { '001_a.sql': 'create table if not exists lock_give_up_t (id int);' })
  const lock = await holder(`select pg_advisory_xact_lock(${lockKey('lock_give_up')})`)
  try {
    const err = await failure(migrate({ url: db.url, ...t, waitMs: 300 }))
    assert.is(err.code, 'lock')
    assert.is(err.exitCode, 1)
    assert.match(err.message, /gave up waiting 0s for the migration lock, held by pid \d+ \(deploy-job-42/)
  } finally {
    await lock.release()
  }
  assert.is((await db.sql`select to_regclass('lock_give_up_t') as t`)[0].t, null)
})

test('--lock-timeout with --lock-retries 0 stops a file that waits on a busy table, and rolls it back', async () => {
  await db.sql`create table if not exists busy_t (id int)`
  const t = files('lock_timeout', { '001_alter.sql': 'alter table busy_t add column if not exists extra int;' })
  const lock = await holder('lock table busy_t in access share mode')
  try {
    const err = await failure(migrate({ url: db.url, ...t, lockTimeout: '200ms', lockRetries: 0 }))
    assert.is(err.code, 'migration')
    assert.is(err.facts.sqlstate, '55P03')
    assert.match(err.message, /migrations\/001_alter\.sql/)
  } finally {
    await lock.release()
  }
  const cols = await db.sql`select column_name from information_schema.columns where table_name = 'busy_t'`
  assert.equal(
    cols.map((c) => c.column_name),
    ['id'],
  )
})

test('--statement-timeout cancels a slow file', async () => {
  const t = files('stmt_timeout', { '001_slow.sql': 'select pg_sleep(2);' })
  const started = Date.now()
  assert.is((await failure(migrate({ url: db.url, ...t, statementTimeout: '100ms' }))).facts.sqlstate, '57014')
  assert.ok(Date.now() - started < 1900)
})

test('--lock-timeout is in force inside the file (set with SET LOCAL semantics)', async () => {
  const t = files('local_only', {
    '001_show.sql': "create table if not exists local_only_t as select current_setting('lock_timeout') as lt;",
  })
  await migrate({ url: db.url, ...t, lockTimeout: '3s' })
  assert.is((await db.sql`select lt from local_only_t`)[0].lt, '3s')
})

test('a runner that waits while another runner creates the ledger applies once the lock is free', async () => {
  const t = files('ledger_race', { '001_a.sql': 'create table if not exists ledger_race_t (id int);' })
  // Another runner, first: holds the lock and has created the ledger, not yet committed.
  const other = await holder(`select pg_advisory_xact_lock(${lockKey('ledger_race')}); ${ledgerSql('ledger_race')}`)
  // This runner looks for the ledger (missing, as far as it can see), then waits for the lock.
  const running = migrate({ url: db.url, ...t, waitMs: 10_000 })
  await new Promise((r) => setTimeout(r, 400))
  await other.release()
  const result = await running
  assert.is(result.applied.length, 1)
})

test.run()
