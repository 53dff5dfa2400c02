/**
 * A database per tenant: `--targets FILE` through the real CLI against tens of real databases. Broken tenants
 * fail alone and are named; a rerun goes on; --canary and --max-failures stop; connections stay within
 * --concurrency; passwords stay hidden; status and verify report every target.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrateTargets } from '../../src/index.js'
import { adminUrl } from '../support/db.js'
import { bin, project, strata, type Run } from '../support/project.js'
import { sampleConnections, tenantDatabases } from './helpers.js'

const FILES = {
  'migrations/001_orders.sql': 'create table if not exists orders (id int primary key, total numeric not null default 0);',
  'migrations/002_orders_total.sql': 'create index if not exists orders_total on orders (total);',
  'migrations/003_customers.sql': 'create table if not exists customers (id int primary key, name text not null);\nselect pg_sleep(0.05);',
}

let tenants: Awaited<ReturnType<typeof tenantDatabases>>
let cwd: string
const password = decodeURIComponent(new URL(adminUrl()).password)

test.before(async () => {
  tenants = await tenantDatabases(20)
  cwd = project({ ...FILES, 'tenants.txt': `# every tenant\n${tenants.names.join('\n')}\n` })
})
test.after(async () => {
  await tenants.drop()
})

const run = (args: string[]) => strata(args, { cwd, env: { DATABASE_URL: adminUrl() } })
const ledger = (name: string) =>
  tenants.on(name, async (sql) => {
    const exists = (await sql`select to_regclass('strata.migrations') is not null as ok`)[0].ok
    return exists ? (await sql`select version::int from strata.migrations order by version`).map((r) => r.version as number) : null
  })
const json = (r: Run) => JSON.parse(r.stdout)

test('two broken tenants: exit 1, both named with their error, every healthy tenant fully applied; fixed, a rerun finishes them', async () => {
  const broken = [tenants.names[3], tenants.names[10]]
  for (const name of broken) await tenants.on(name, (sql) => sql`create table orders (id int, note text)`) // their own, older orders

  const first = await run(['migrate', '--targets', 'tenants.txt', '--concurrency', '4'])
  assert.is(first.code, 1, first.stdout + first.stderr)
  assert.match(first.stdout, /20 target\(s\): 18 ok \(18 migrated, 0 already up to date\), 2 failed, 0 not started; 54 file\(s\) applied/)
  assert.is(first.stdout.split('warning  create-index-not-concurrently').length - 1, 1, 'linted once, its warning printed once')
  assert.ok(first.stdout.indexOf('create-index-not-concurrently') < first.stdout.indexOf('\nok '), 'before any target is done')
  const summary = first.stdout.slice(first.stdout.indexOf('failed: 2'))
  for (const name of broken)
    assert.match(summary, new RegExp(`${name}: migrations/002_orders_total\\.sql:1:\\d+: column "total" does not exist \\[42703\\]`))
  for (const name of tenants.names) assert.equal(await ledger(name), broken.includes(name) ? [1] : [1, 2, 3], name)

  for (const name of broken)
    await tenants.on(name, (sql) => sql`alter table orders add column total numeric not null default 0, add primary key (id)`)
  const again = await run(['migrate', '--targets', 'tenants.txt'])
  assert.is(again.code, 0, again.stdout + again.stderr)
  assert.match(again.stdout, /20 target\(s\): 20 ok \(2 migrated, 18 already up to date\), 0 failed, 0 not started; 4 file\(s\) applied/)
  for (const name of tenants.names) assert.equal(await ledger(name), [1, 2, 3], name)
})

test('--json: one document with every target, in list order', async () => {
  const r = await run(['migrate', '--targets', 'tenants.txt', '--json'])
  assert.is(r.code, 0, r.stderr)
  const doc = json(r)
  assert.equal(Object.keys(doc), ['ok', 'summary', 'targets'])
  assert.is(doc.ok, true)
  assert.equal(doc.summary, { ...doc.summary, targets: 20, ok: 20, failed: 0, notStarted: 0, filesApplied: 0 })
  assert.equal(
    doc.targets.map((t: { target: string }) => t.target),
    tenants.names,
  )
  assert.equal(doc.targets[0], { target: tenants.names[0], kind: 'database', status: 'ok', ms: doc.targets[0].ms, version: 3, applied: [] })
})

test('status and verify --targets: a row per target; verify exits 1 and names the tenant that drifted', async () => {
  const status = await run(['status', '--targets', 'tenants.txt', '--json'])
  assert.is(status.code, 0, status.stderr)
  const rows = json(status).targets
  assert.is(rows.length, 20)
  assert.equal(rows[0], { ...rows[0], target: tenants.names[0], version: 3, applied: 3, pending: 0, problems: 0 })

  const drifted = tenants.names[7]
  await tenants.on(drifted, (sql) => sql`drop table customers`)
  const verify = await run(['verify', '--targets', 'tenants.txt'])
  assert.is(verify.code, 1, verify.stdout)
  assert.match(verify.stdout, new RegExp(`drift +${drifted} +1 object problem`))
  assert.match(verify.stdout, /20 target\(s\): 19 verified, 1 drifted, 0 errors/)
  await tenants.on(drifted, (sql) => sql`create table customers (id int primary key, name text not null)`)
})

/** A group of its own: `count` fresh tenant databases with FILES, `broken` of them with an older, incompatible orders table. */
async function group(count: number, broken: number[]) {
  const g = await tenantDatabases(count)
  for (const i of broken) await g.on(g.names[i], (sql) => sql`create table orders (id int, note text)`)
  const dir = project({ ...FILES, 'tenants.txt': g.names.join('\n') })
  const inGroup = (args: string[]) => strata(args, { cwd: dir, env: { DATABASE_URL: adminUrl() } })
  const ledgerOf = (name: string) =>
    g.on(name, async (sql) =>
      (await sql`select to_regclass('strata.migrations') is not null as ok`)[0].ok
        ? (await sql`select version::int from strata.migrations order by version`).map((r) => r.version as number)
        : null,
    )
  return { ...g, dir, run: inGroup, ledgerOf }
}

test('--canary 2: a failing canary stops the rollout; the other targets are not started and not touched', async () => {
  const g = await group(8, [1])
  try {
    const r = await g.run(['migrate', '--targets', 'tenants.txt', '--canary', '2', '--json'])
    assert.is(r.code, 1)
    const targets = json(r).targets
    assert.equal(
      targets.map((t: { status: string }) => t.status),
      ['ok', 'failed', ...Array(6).fill('not-started')],
    )
    assert.match(targets[1].error.message, /002_orders_total\.sql:1:\d+: column "total" does not exist/)
    assert.match(targets[2].reason, /a canary failed/)
    for (const name of g.names.slice(2)) assert.is(await g.ledgerOf(name), null, `${name} untouched`)

    const healthy = await g.run(['migrate', '--targets', 'tenants.txt', '--canary', '1'])
    assert.is(healthy.code, 1, 'the canary passed, the broken tenant fails in the rollout')
    assert.match(healthy.stdout, /8 target\(s\): 7 ok \(6 migrated, 1 already up to date\), 1 failed, 0 not started/)
  } finally {
    await g.drop()
  }
})

test('--max-failures 1 with one at a time: no new target after the first failure; a rerun goes on', async () => {
  const g = await group(8, [2])
  try {
    const r = await g.run(['migrate', '--targets', 'tenants.txt', '--concurrency', '1', '--max-failures', '1', '--json'])
    assert.is(r.code, 1)
    const doc = json(r) // --json: stdout is the one document
    assert.equal(
      doc.targets.map((t: { status: string }) => t.status),
      ['ok', 'ok', 'failed', ...Array(5).fill('not-started')],
    )
    assert.match(doc.targets[3].reason, /--max-failures 1 reached/)
    assert.equal(doc.summary, { ...doc.summary, ok: 2, failed: 1, notStarted: 5 })
    assert.equal(doc.targets[2].version, 1, 'the failed target reached version 1')
    assert.equal(
      doc.targets[2].applied.map((a: { version: number }) => a.version),
      [1],
    )

    await g.on(g.names[2], (sql) => sql`drop table orders`)
    await g.on(g.names[2], (sql) => sql`create table orders (id int primary key, total numeric not null default 0)`)
    const rest = await g.run(['migrate', '--targets', 'tenants.txt', '--max-failures', '1'])
    assert.is(rest.code, 0, rest.stdout)
    assert.match(rest.stdout, /8 ok \(6 migrated, 2 already up to date\)/)
  } finally {
    await g.drop()
  }
})

test('--dry-run: the plan of each target, nothing touched; --shard K/N: the slices share no target and miss none', async () => {
  const g = await group(6, [])
  try {
    const dry = await g.run(['migrate', '--targets', 'tenants.txt', '--dry-run'])
    assert.is(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stdout, /6 target\(s\), dry run: 6 would apply 18 file\(s\), 0 up to date, 0 failed, 0 not started/)
    for (const name of g.names) assert.is(await g.ledgerOf(name), null, `${name} untouched`)

    const shards = await Promise.all(
      ['1/3', '2/3', '3/3'].map((s) => g.run(['migrate', '--targets', 'tenants.txt', '--shard', s, '--json'])),
    )
    const taken = shards.flatMap((r) => json(r).targets.map((t: { target: string }) => t.target))
    assert.equal([...taken].sort(), g.names)
    for (const name of g.names) assert.equal(await g.ledgerOf(name), [1, 2, 3], name)
  } finally {
    await g.drop()
  }
})

test('connections to tenants never exceed --concurrency (pg_stat_activity, sampled during the run)', async () => {
  const g = await group(12, [])
  writeFileSync(join(g.dir, 'migrations/004_slow.sql'), 'select pg_sleep(0.15);')
  const sampler = sampleConnections(g.prefix)
  try {
    const r = await g.run(['migrate', '--targets', 'tenants.txt', '--concurrency', '3'])
    const { most, samples } = await sampler.stop()
    assert.is(r.code, 0, r.stdout + r.stderr)
    assert.ok(samples > 20, `sampled ${samples} times`)
    assert.ok(most <= 3, `saw ${most} connections at once`)
    assert.ok(most >= 2, `saw ${most}: the targets ran in parallel`)
  } finally {
    await sampler.stop().catch(() => {})
    await g.drop()
  }
})

test('a targets file of URLs: no password in any output, even when one fails; --expect-host checks every line before any target is touched', async () => {
  const urls = tenants.names.slice(0, 3).map(tenants.url)
  writeFileSync(join(cwd, 'urls.txt'), `${urls.join('\n')}\n${tenants.url('no_such_database_here')}\n`)
  const r = await strata(['migrate', '--targets', 'urls.txt'], { cwd })
  assert.is(r.code, 1)
  assert.match(r.stdout, /no_such_database_here: cannot connect to postgres:\/\/[^:]+:\*\*\*\*@/)
  assert.not.ok((r.stdout + r.stderr).includes(password), 'the password never shows')
  const json = await strata(['migrate', '--targets', 'urls.txt', '--json'], { cwd })
  assert.not.ok((json.stdout + json.stderr).includes(password))

  writeFileSync(join(cwd, 'mixed.txt'), `${tenants.names[0]}\npostgres://app:pw@db.example.invalid/app\n`)
  const refused = await run(['migrate', '--targets', 'mixed.txt', '--expect-host', '127.0.0.1'])
  assert.is(refused.code, 2)
  assert.match(refused.stderr, /mixed\.txt:2: refusing to run against db\.example\.invalid/)
})

test('--targets - reads the list from standard input', async () => {
  const r = await new Promise<Run>((done) => {
    const child = spawn(process.execPath, [bin, 'status', '--targets', '-', '--json'], {
      cwd,
      env: { ...process.env, DATABASE_URL: adminUrl(), NO_COLOR: '1' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => done({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(`${tenants.names[0]}\n${tenants.names[1]}\n`)
  })
  assert.is(r.code, 0, r.stderr)
  assert.equal(
    JSON.parse(r.stdout).targets.map((t: { target: string }) => t.target),
    tenants.names.slice(0, 2),
  )
})

test('the API: results as each target finishes, from an async iterator', async () => {
  const run = migrateTargets({ targets: tenants.names.slice(0, 5), url: adminUrl(), cwd, concurrency: 2 })
  const seen: string[] = []
  for await (const r of run) {
    assert.is(r.status, 'ok', r.error?.message)
    assert.is(r.result!.version, 3)
    seen.push(r.target)
  }
  assert.equal(seen.sort(), tenants.names.slice(0, 5))
  assert.equal(run.counts, { total: 5, done: 5, failed: 0, running: 0, left: 0 })
})

test.run()
