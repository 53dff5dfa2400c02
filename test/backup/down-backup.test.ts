/** strata down says how many rows the tables it drops hold before confirming, and --backup copies them first. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { down, migrate } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

const files = {
  'migrations/001_orders.sql': 'create table if not exists dn_orders (id int primary key, note text);',
  'migrations/001_orders.down.sql': 'drop table if exists dn_orders;',
  'migrations/002_note.sql': 'alter table dn_orders add column if not exists extra text;',
  'migrations/002_note.down.sql': 'alter table dn_orders drop column if exists extra;',
}
const count = async () => (await db.sql`select count(*)::int as n from dn_orders`)[0].n

test('the question names the rows the down files destroy; a no changes nothing', async () => {
  const cwd = project(files)
  const common = { url: db.url, cwd, schema: 'dn_ledger_a' }
  await migrate(common)
  await db.sql`insert into dn_orders select g, 'n' || g, case when g % 2 = 0 then 'x' end from generate_series(1, 1234) g`
  let asked: unknown
  const e = await failure(down({ ...common, to: 0, confirm: async (_plan, _target, atRisk) => ((asked = atRisk), false) }))
  assert.match(e.message, /not confirmed/)
  assert.equal(
    (asked as any[]).map((r) => [r.table, r.rows, r.columns ?? null]),
    [['public.dn_orders', 1234, null]],
    'the table the down files drop, with its rows (its dropped column merged into the whole rows)',
  )
  assert.is(await count(), 1234)
  const dry = await strata(['down', '--to', '0', '--dry-run', '--url', db.url, '--schema', 'dn_ledger_a'], { cwd })
  assert.is(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, /destroys public\.dn_orders: 1,234 row\(s\)/)
  await db.sql`drop table dn_orders`
})

test('down --backup copies the rows first, and restore brings the dropped table back with them', async () => {
  const cwd = project(files)
  const schema = 'dn_ledger_b'
  assert.is((await strata(['migrate', '--url', db.url, '--schema', schema], { cwd })).code, 0)
  await db.sql`insert into dn_orders select g, 'n' || g, 'e' || g from generate_series(1, 321) g`
  const run = await strata(['down', '--to', '0', '--yes', '--backup', '--url', db.url, '--schema', schema], { cwd })
  assert.is(run.code, 0, run.stderr)
  assert.match(run.stdout, /destroys public\.dn_orders: 321 row\(s\)/, 'said before it runs, even with --yes')
  const dir = /^backup\s+(\S+)/m.exec(run.stdout)?.[1]
  assert.ok(dir, run.stdout)
  assert.is((await db.sql`select to_regclass('dn_orders') as t`)[0].t, null)
  const restored = await strata(['restore', dir!, '--url', db.url], { cwd })
  assert.is(restored.code, 0, restored.stderr)
  assert.is(await count(), 321)
  assert.is((await db.sql`select count(extra)::int as n from dn_orders`)[0].n, 321, 'the dropped column came back with its values')
})

test.run()
