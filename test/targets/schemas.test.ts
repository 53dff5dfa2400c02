/**
 * A schema per tenant: `--each-schema PATTERN` through the real CLI on tens of schemas in one real database.
 * Files run with the tenant's search_path, each tenant has its own ledger schema, broken tenants fail alone,
 * no-transaction files work on a direct connection, and connections stay within --concurrency.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { statusTargets } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { project, strata, type Run } from '../support/project.js'
import { sampleConnections } from './helpers.js'

const db = useFreshDatabase(test)
const TENANTS = Array.from({ length: 24 }, (_, i) => `shop_${String(i + 1).padStart(2, '0')}`)
const BROKEN = ['shop_05', 'shop_17']

const FILES = {
  // `amount` lives in public, as an extension's types would: the tenant's search_path goes on to the database's own.
  'migrations/001_orders.sql': 'create table if not exists orders (id int primary key, total amount not null default 0);',
  'migrations/002_orders_total.sql': 'create index if not exists orders_total on orders (total);',
  'migrations/003_customers.sql':
    'create table if not exists customers (id int primary key, name text not null);\ninsert into customers values (1, current_schema()) on conflict do nothing;',
}
let cwd: string

test.before(async () => {
  await db.sql.unsafe('create domain public.amount as numeric(12, 2)')
  for (const t of TENANTS) await db.sql.unsafe(`create schema ${t}`)
  for (const t of BROKEN) await db.sql.unsafe(`create table ${t}.orders (id int, note text)`)
  await db.sql.unsafe('create schema unrelated') // not like the pattern
  cwd = project(FILES)
})

const run = (args: string[]) => strata(args, { cwd, env: { DATABASE_URL: db.url } })
const json = (r: Run) => JSON.parse(r.stdout)
const versions = async (ledger: string) =>
  (await db.sql.unsafe(`select version::int from ${ledger}.migrations order by version`)).map((r) => r.version as number)

test('each tenant schema: files in its search_path, its own ledger beside it; broken tenants named; fixed, a rerun finishes them', async () => {
  const first = await run(['migrate', '--each-schema', 'shop\\_%', '--concurrency', '4'])
  assert.is(first.code, 1, first.stdout + first.stderr)
  assert.match(first.stdout, /24 target\(s\): 22 ok \(22 migrated, 0 already up to date\), 2 failed/)
  const summary = first.stdout.slice(first.stdout.indexOf('failed: 2'))
  for (const t of BROKEN) assert.match(summary, new RegExp(`${t}: migrations/002_orders_total\\.sql:1:\\d+: column "total" does not exist`))
  for (const t of TENANTS) assert.equal(await versions(`strata_${t}`), BROKEN.includes(t) ? [1] : [1, 2, 3], t)

  const [placed] = await db.sql.unsafe(`select
      (select count(*)::int from pg_tables where tablename = 'customers' and schemaname like 'shop\\_%') as tenant_tables,
      (select count(*)::int from pg_tables where tablename in ('orders', 'customers') and schemaname = 'public') as public_tables,
      (select count(*)::int from pg_tables where tablename = 'migrations' and schemaname like 'shop%') as ledgers_in_tenants`)
  assert.equal(placed, { tenant_tables: 22, public_tables: 0, ledgers_in_tenants: 0 })
  const inserted = await db.sql.unsafe(`select name from shop_01.customers`)
  assert.equal(
    inserted.map((r) => r.name),
    ['shop_01'],
    'current_schema() in the file is the tenant',
  )

  for (const t of BROKEN)
    await db.sql.unsafe(`drop table ${t}.orders; create table ${t}.orders (id int primary key, total amount not null default 0)`)
  const again = await run(['migrate', '--each-schema', 'shop\\_%'])
  assert.is(again.code, 0, again.stdout + again.stderr)
  assert.match(again.stdout, /24 target\(s\): 24 ok \(2 migrated, 22 already up to date\)/)
})

test('a pattern that also matches the ledger schemas finds only the tenants', async () => {
  const r = await run(['status', '--each-schema', '%shop%', '--json'])
  assert.is(r.code, 0, r.stderr)
  const rows = json(r).targets
  assert.equal(
    rows.map((t: { target: string }) => t.target),
    TENANTS,
  )
  assert.ok(rows.every((t: { version: number; pending: number }) => t.version === 3 && t.pending === 0))
})

test('verify --each-schema checks each tenant against its own schema and names the one that drifted', async () => {
  await db.sql.unsafe('drop index shop_09.orders_total')
  const r = await run(['verify', '--each-schema', 'shop\\_%'])
  assert.is(r.code, 1, r.stdout)
  assert.match(r.stdout, /drift +shop_09 +1 object problem/)
  assert.match(r.stdout, /missing +migrations\/002_orders_total\.sql:1: index shop_09\.orders_total/)
  assert.match(r.stdout, /24 target\(s\): 23 verified, 1 drifted, 0 errors/)
  await db.sql.unsafe('create index orders_total on shop_09.orders (total)')
})

test('a no-transaction file runs in each tenant with its search_path (direct connection), within --concurrency', async () => {
  writeFileSync(
    join(cwd, 'migrations/004_customers_name.sql'),
    '-- strata:no-transaction\ncreate index concurrently if not exists customers_name on customers (name);\nselect pg_sleep(0.05);',
  )
  const database = (await db.sql`select current_database() as name`)[0].name as string
  const sampler = sampleConnections(database)
  const r = await run(['migrate', '--each-schema', 'shop\\_%', '--concurrency', '3'])
  const { most } = await sampler.stop()
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(most <= 3, `saw ${most} connections at once`)
  const [row] = await db.sql.unsafe(
    `select count(*)::int as n, count(*) filter (where schemaname = 'public')::int as public from pg_indexes where indexname = 'customers_name'`,
  )
  assert.equal(row, { n: 24, public: 0 })
})

test('the API: status of every tenant', async () => {
  const results = await statusTargets({ url: db.url, cwd, eachSchema: 'shop\\_%', concurrency: 2 }).all()
  assert.is(results.length, 24)
  assert.ok(results.every((r) => r.status === 'ok' && r.result!.counts.applied === 4))
})

test('no schema like the pattern: a configuration error (exit 2), not a silent success', async () => {
  const r = await run(['migrate', '--each-schema', 'nobody\\_%'])
  assert.is(r.code, 2)
  assert.match(r.stderr, /no schema of .* is like 'nobody\\_%'/)
})

test.run()
