/**
 * The fan-out through a real PgBouncer in transaction mode: tenant schemas get their search_path in each
 * file's transaction (nothing left behind on the pooled server connections), a no-transaction file is refused
 * for tenants with a reason instead of running in the wrong schema, and database-per-tenant targets work.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminUrl, freshDatabase, type TestDatabase } from '../support/db.js'
import { project, strata, type Run } from '../support/project.js'
import { startPgBouncer, type Bouncer } from '../support/pgbouncer.js'
import { tenantDatabases } from '../targets/helpers.js'

const POOL_SIZE = 2
const started = await startPgBouncer(adminUrl(), { poolSize: POOL_SIZE })
const skip = 'skip' in started ? started.skip : undefined
if (skip) console.log(`PgBouncer tests skipped: ${skip}`)
const it = skip ? test.skip : test

let db: TestDatabase
let bouncer: Bouncer
const TENANTS = Array.from({ length: 12 }, (_, i) => `acct_${String(i + 1).padStart(2, '0')}`)
const FILES = {
  'migrations/001_orders.sql': 'create table if not exists orders (id int primary key, total numeric not null default 0);',
  'migrations/002_seen.sql':
    "create table if not exists seen (schema text, path text);\ninsert into seen values (current_schema(), current_setting('search_path'));",
}

test.before(async () => {
  if (skip) return
  bouncer = started as Bouncer
  db = await freshDatabase()
  for (const t of TENANTS) await db.sql.unsafe(`create schema ${t}`)
})
test.after(async () => {
  if (skip) return
  await db.drop()
  await bouncer.stop()
})

const json = (r: Run) => JSON.parse(r.stdout)

/** search_path as every pooled server connection has it now (clients holding transactions at once cover them all). */
async function pooledSearchPaths(): Promise<string[]> {
  const clients = Array.from({ length: POOL_SIZE + 2 }, () =>
    postgres(bouncer.pooled(db.url), { prepare: false, max: 1, onnotice: () => {} }),
  )
  const paths = await Promise.all(
    clients.map((sql) =>
      sql.begin(async (tx) => {
        const [row] = await tx.unsafe(`select current_setting('search_path') as path`)
        await tx.unsafe('select pg_sleep(0.1)')
        return row.path as string
      }),
    ),
  )
  await Promise.all(clients.map((sql) => sql.end()))
  return paths
}

it('--each-schema through PgBouncer: every file in its tenant, and no search_path left on the pooled connections', async () => {
  const cwd = project(FILES)
  const r = await strata(['migrate', '--each-schema', 'acct\\_%', '--concurrency', '4'], {
    cwd,
    env: { DATABASE_URL: bouncer.pooled(db.url) },
  })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /12 target\(s\): 12 ok \(12 migrated/)
  for (const t of TENANTS) {
    const rows = await db.sql.unsafe(`select schema, path from ${t}.seen`)
    assert.equal([...rows], [{ schema: t, path: `"${t}", "$user", public` }])
  }
  assert.is((await db.sql`select to_regclass('public.orders') as t`)[0].t, null, 'nothing in public')
  for (const path of await pooledSearchPaths()) assert.is(path, '"$user", public')
})

it('a no-transaction file behind a transaction pooler: refused for tenants (it would run in the wrong schema), the rollout stops', async () => {
  const cwd = project({
    ...FILES,
    'migrations/003_orders_total.sql': '-- strata:no-transaction\ncreate index concurrently if not exists orders_total on orders (total);',
  })
  const r = await strata(['migrate', '--each-schema', 'acct\\_%', '--concurrency', '2', '--json'], {
    cwd,
    env: { DATABASE_URL: bouncer.pooled(db.url) },
  })
  assert.is(r.code, 1, r.stdout + r.stderr)
  const targets = json(r).targets
  const failed = targets.filter((t: { status: string }) => t.status === 'failed')
  assert.ok(failed.length >= 1 && failed.length <= 2, `failed: ${failed.length}`)
  assert.match(failed[0].error.message, /003_orders_total\.sql runs without a transaction.*not the tenant's "acct_\d\d"/)
  assert.match(failed[0].error.hint, /direct connection/)
  assert.ok(targets.slice(2).every((t: { status: string }) => t.status === 'not-started'))
  const [indexes] = await db.sql.unsafe(`select count(*)::int as n from pg_indexes where indexname = 'orders_total'`)
  assert.is(indexes.n, 0, 'the index was built nowhere')
  const [claims] = await db.sql.unsafe(`select count(*)::int as n from strata_acct_01.migrations where version = 3`)
  assert.is(claims.n, 0, 'and not claimed: a direct run can apply it')
  for (const path of await pooledSearchPaths()) assert.is(path, '"$user", public')

  const direct = await strata(['migrate', '--each-schema', 'acct\\_%'], { cwd, env: { DATABASE_URL: db.url } })
  assert.is(direct.code, 0, direct.stdout + direct.stderr)
  const [built] = await db.sql.unsafe(
    `select count(*)::int as n from pg_indexes where indexname = 'orders_total' and schemaname like 'acct\\_%'`,
  )
  assert.is(built.n, 12)
})

it('--targets through PgBouncer: database names on the pooled server', async () => {
  const tenants = await tenantDatabases(6)
  try {
    const cwd = project({ ...FILES, 'tenants.txt': tenants.names.join('\n') })
    const env = { DATABASE_URL: bouncer.pooled(adminUrl()) }
    const r = await strata(['migrate', '--targets', 'tenants.txt', '--concurrency', '3'], { cwd, env })
    assert.is(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /6 target\(s\): 6 ok \(6 migrated/)
    const status = await strata(['status', '--targets', 'tenants.txt', '--json'], { cwd, env })
    assert.ok(json(status).targets.every((t: { version: number }) => t.version === 2))
  } finally {
    await tenants.drop()
  }
})

test.run()
