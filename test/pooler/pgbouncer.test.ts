/**
 * Strata through a real PgBouncer in transaction mode (what Supabase's port 6543 does): it works, it is
 * safe with concurrent runners, and it leaves no lock and no setting behind on the pooled server connections.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { adminUrl, freshDatabase, type TestDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'
import { startPgBouncer, type Bouncer } from '../support/pgbouncer.js'

const POOL_SIZE = 2

let db: TestDatabase
let bouncer: Bouncer
let pooledUrl: string
let defaults: { lock_timeout: string; statement_timeout: string }

// Every test runs, always: without pgbouncer this fails, saying how to install it.
test.before(async () => {
  bouncer = await startPgBouncer(adminUrl(), { poolSize: POOL_SIZE })
  db = await freshDatabase()
  pooledUrl = bouncer.pooled(db.url)
  ;[defaults] =
    (await db.sql`select current_setting('lock_timeout') as lock_timeout, current_setting('statement_timeout') as statement_timeout`) as any
})
test.after(async () => {
  await db?.drop()
  await bouncer?.stop()
})

interface Probe {
  pid: number
  lock_timeout: string
  statement_timeout: string
  advisory: number
  temp_tables: number
}

const PROBE = `select pg_backend_pid() as pid, current_setting('lock_timeout') as lock_timeout,
  current_setting('statement_timeout') as statement_timeout,
  (select count(*)::int from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())) as advisory,
  (select count(*)::int from pg_class where relnamespace = pg_my_temp_schema()) as temp_tables`

const pooledClient = () => postgres(pooledUrl, { prepare: false, max: 1, onnotice: () => {} })

/** Other applications on the same pool: they keep querying, and record what each server connection shows them. */
function otherClients(count: number) {
  const seen: Probe[] = []
  let running = true
  const loops = Array.from({ length: count }, async () => {
    const sql = pooledClient()
    try {
      while (running) {
        seen.push(...((await sql.unsafe(PROBE)) as unknown as Probe[]))
        await new Promise((r) => setTimeout(r, 5))
      }
    } finally {
      await sql.end()
    }
  })
  return { seen, stop: async () => ((running = false), await Promise.all(loops)) }
}

/** Run `work` while other clients use the pool; they stop (and any error of theirs surfaces) either way. */
async function withOtherClients<T>(count: number, work: () => Promise<T>): Promise<{ result: T; seen: Probe[] }> {
  const others = otherClients(count)
  try {
    const result = await work()
    await others.stop()
    return { result, seen: others.seen }
  } catch (e) {
    await others.stop().catch(() => {})
    throw e
  }
}

/** Several pooled clients at once, each holding a transaction so that together they cover every server connection. */
async function probeEveryServerConnection(): Promise<Probe[]> {
  const clients = Array.from({ length: POOL_SIZE + 2 }, pooledClient)
  const probes = await Promise.all(
    clients.map((sql) =>
      sql.begin(async (tx) => {
        const rows = (await tx.unsafe(PROBE)) as unknown as Probe[]
        await tx.unsafe('select pg_sleep(0.1)')
        return rows[0]
      }),
    ),
  )
  await Promise.all(clients.map((sql) => sql.end()))
  return probes
}

function assertClean(probes: Probe[], what: string) {
  for (const p of probes) {
    assert.is(p.lock_timeout, defaults.lock_timeout, `${what}: lock_timeout on server pid ${p.pid}`)
    assert.is(p.statement_timeout, defaults.statement_timeout, `${what}: statement_timeout on server pid ${p.pid}`)
  }
}

const applied = (stdout: string) => (stdout.match(/^applied /gm) ?? []).length

test('migrate (per file, single transaction, no-transaction CREATE INDEX CONCURRENTLY), status and failures work through PgBouncer, and leave nothing behind', async () => {
  const cwd = project({
    'migrations/001_items.sql':
      'create table if not exists pool_items (id int primary key, name text not null);\n' +
      'create table if not exists pool_seen (file text, pid int, lock_timeout text);\n' +
      "insert into pool_seen values ('001', pg_backend_pid(), current_setting('lock_timeout'));",
    'migrations/002_fill.sql':
      "insert into pool_items select g, 'item ' || g from generate_series(1, 500) g on conflict do nothing;\n" +
      "insert into pool_seen values ('002', pg_backend_pid(), current_setting('lock_timeout'));\nselect pg_sleep(0.05);",
    'migrations/003_index.sql':
      '-- strata:no-transaction\ncreate index concurrently if not exists pool_items_name on pool_items (name);\n' +
      "insert into pool_seen values ('003', pg_backend_pid(), current_setting('lock_timeout'));",
    'single/001_a.sql': 'create table if not exists pool_single_a (id int);',
    'single/002_b.sql': 'create table if not exists pool_single_b (id int);\ninsert into pool_single_b values (1);',
    'failing/001_ok.sql': 'create table if not exists pool_fail (id int);',
    'failing/002_bad.sql': 'insert into pool_fail values (1);\nselect 1 / 0;',
  })
  const run = (args: string[]) => strata([...args, '--url', pooledUrl], { cwd })
  const others = await withOtherClients(3, async () => ({
    migrated: await run(['migrate', '--wait', '30s']),
    single: await run(['migrate', '--dir', 'single', '--schema', 'pool_single', '--single-transaction']),
    failing: await run(['migrate', '--dir', 'failing', '--schema', 'pool_failing']),
    status: await run(['status']),
  }))
  const { migrated, single, failing, status } = others.result
  assert.is(migrated.code, 0, migrated.stderr)
  assert.is(applied(migrated.stdout), 3, migrated.stdout)
  assert.is(single.code, 0, single.stderr)
  assert.is(applied(single.stdout), 2, single.stdout)
  assert.is(failing.code, 1)
  assert.match(failing.stderr, /division by zero/)
  assert.is(status.code, 0, status.stderr)
  assert.match(status.stdout, /3 applied/)

  // The lock and timeouts were in force inside each file's transaction, on whichever server connection ran it...
  const files = await db.sql`select file, pid, lock_timeout from pool_seen order by file`
  assert.equal(
    files.map((r) => r.lock_timeout),
    ['1s', '1s', '1s'],
    "SET LOCAL inside transactions: each file's, and each statement's of the no-transaction file that may run in one",
  )
  const [index] = await db.sql`select i.indisvalid from pg_index i where i.indexrelid = 'pool_items_name'::regclass`
  assert.ok(index.indisvalid, 'CREATE INDEX CONCURRENTLY through the transaction pooler built a valid index')
  // ...and nowhere else: not while migrate ran, not after it, on every server connection of the pool.
  assert.ok(others.seen.length > 20, `the other clients kept working (${others.seen.length} queries)`)
  assertClean(others.seen, 'another client while migrate ran')
  const after = await probeEveryServerConnection()
  assertClean(after, 'a pooled client after migrate')
  assert.ok(
    after.every((p) => p.advisory === 0),
    'no advisory lock is held on any pooled connection',
  )
  const serverPids = new Set(after.map((p) => p.pid))
  assert.ok(serverPids.size <= POOL_SIZE, `PgBouncer really pools (${serverPids.size} server connections)`)
  assert.ok(
    files.some((f) => serverPids.has(f.pid)),
    'the clients probed server connections that ran migrations',
  )
  const [{ n }] = await db.sql`select count(*)::int as n from pool_single_b`
  assert.is(n, 1)
  assert.is((await db.sql`select count(*)::int as n from pool_fail`)[0].n, 0, 'the failed file was rolled back')
})

test('verify and down work through PgBouncer', async () => {
  const cwd = project({
    'migrations/001_t.sql': 'create table if not exists pool_vd (id int);',
    'migrations/002_u.sql': 'create table if not exists pool_vd2 (id int);',
    'migrations/002_u.down.sql': 'drop table if exists pool_vd2;',
  })
  const run = (args: string[]) => strata([...args, '--url', pooledUrl, '--schema', 'pool_vd'], { cwd })
  assert.is((await run(['migrate'])).code, 0)
  const verified = await run(['verify'])
  assert.is(verified.code, 0, verified.stdout + verified.stderr)
  const down = await run(['down', '--to', '1', '--yes'])
  assert.is(down.code, 0, down.stdout + down.stderr)
  assert.is((await db.sql`select to_regclass('pool_vd2') as t`)[0].t, null)
  assertClean(await probeEveryServerConnection(), 'a pooled client after verify/down')
})

test('four migrate processes at once through PgBouncer apply each of 12 files exactly once', async () => {
  const files: Record<string, string> = {}
  for (let i = 1; i <= 12; i++) {
    const v = String(i).padStart(3, '0')
    files[`migrations/${v}_step.sql`] =
      i === 1
        ? 'create table if not exists pool_race (version int not null);\ninsert into pool_race values (1);'
        : `insert into pool_race values (${i});\nselect pg_sleep(0.01);`
  }
  const cwd = project(files)
  const others = await withOtherClients(2, () =>
    Promise.all(
      Array.from({ length: 4 }, () => strata(['migrate', '--url', pooledUrl, '--schema', 'pool_race', '--wait', '60s'], { cwd })),
    ),
  )
  const runs = others.result
  for (const r of runs) assert.is(r.code, 0, r.stderr)
  const counts = await db.sql`select version, count(*)::int as n from pool_race group by version order by version`
  assert.is(counts.length, 12)
  assert.ok(
    counts.every((c) => c.n === 1),
    'every file ran exactly once',
  )
  assert.is((await db.sql`select count(*)::int as n from pool_race.events where action = 'apply'`)[0].n, 12)
  assert.is(
    runs.reduce((t, r) => t + applied(r.stdout), 0),
    12,
    'the processes together report 12 applied files',
  )
  assertClean(others.seen, 'another client during the race')
  const after = await probeEveryServerConnection()
  assertClean(after, 'a pooled client after the race')
  assert.ok(
    after.every((p) => p.advisory === 0),
    'no advisory lock is held after the race',
  )
})

test('a wrong password through PgBouncer fails with a clear error and never prints the password', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;' })
  const u = new URL(pooledUrl)
  const secret = 'N0t-the-Pa55word'
  u.password = secret
  for (const args of [['status'], ['migrate', '--json'], ['backup']]) {
    const r = await strata([...args, '--url', u.toString()], { cwd })
    assert.is(r.code, 1, r.stderr)
    assert.not.ok((r.stdout + r.stderr).includes(secret), `no password in: ${r.stdout + r.stderr}`)
    assert.match(r.stdout + r.stderr, /:\*\*\*\*@127\.0\.0\.1/)
  }
})

test('backup and restore (COPY out and in) work through PgBouncer and leave no temporary table behind', async () => {
  const cwd = project({
    'migrations/001_data.sql':
      'create table if not exists pool_data (id int primary key, body text, raw bytea);\n' +
      "insert into pool_data select g, case when g % 3 = 0 then null else 'ünïcode ' || g end, decode(md5(g::text), 'hex') from generate_series(1, 2000) g on conflict do nothing;",
    'migrations/002_wipe.sql': 'truncate pool_data;\nalter table pool_data drop column if exists body;',
  })
  const run = (args: string[]) => strata([...args, '--url', pooledUrl, '--schema', 'pool_bk'], { cwd })
  const sum = async () => (await db.sql`select md5(string_agg(row(id, body, raw)::text, ',' order by id)) as h from pool_data`)[0].h
  assert.is((await run(['migrate', '--to', '1'])).code, 0)
  const before = await sum()
  const others = await withOtherClients(2, async () => {
    const backup = await run(['backup', '--json'])
    assert.is(backup.code, 0, backup.stderr)
    const migrated = await run(['migrate', '--allow-destructive'])
    assert.is(migrated.code, 0, migrated.stderr)
    return run(['restore', JSON.parse(backup.stdout).backup.dir])
  })
  assert.is(others.result.code, 0, others.result.stderr)
  assert.is(await sum(), before)
  assertClean(others.seen, 'another client during backup and restore')
  const after = await probeEveryServerConnection()
  assertClean(after, 'a pooled client after restore')
  assert.ok(
    after.every((p) => p.temp_tables === 0 && p.advisory === 0),
    'no temporary table and no advisory lock left on a pooled connection',
  )
})

test.run()
