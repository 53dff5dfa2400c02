import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LEDGER, scenario, type Scenario } from './helpers.js'

const FILES = {
  '001_users.sql': 'create table if not exists users (id bigint primary key, email text not null);\n',
  '002_orders.sql':
    'create table if not exists orders (id bigint primary key, user_id bigint references users (id));\ncreate index if not exists orders_user on orders (user_id);\n',
  '003_refunds.sql': 'create table if not exists refunds (id bigint primary key, order_id bigint references orders (id));\n',
}

/** The schema of files 1 and 2, built by hand (or by another tool), with no ledger. */
async function existingDatabase(withIndex = true): Promise<Scenario> {
  const s = await scenario(FILES)
  await s.sql(FILES['001_users.sql'])
  await s.sql(withIndex ? FILES['002_orders.sql'] : 'create table orders (id bigint primary key, user_id bigint references users (id));')
  return s
}

async function ledger(s: Scenario): Promise<string[]> {
  const [{ exists }] = await s.db.sql`select to_regclass(${`${LEDGER}.migrations`}) is not null as exists`
  if (!exists) return []
  return (await s.db.sql.unsafe(`select version::int, status from ${LEDGER}.migrations order by version`)).map(
    (r) => `${r.version}:${r.status}`,
  )
}

test('records files up to --to as applied without running them; then migrate applies only the rest', async () => {
  const s = await existingDatabase()
  try {
    const { code, doc } = await s.json('baseline', '--to', '2')
    assert.is(code, 0)
    assert.equal(
      doc.recorded.map((r: any) => r.version),
      [1, 2],
    )
    assert.equal(await ledger(s), ['1:applied', '2:applied'])
    const events = await s.db.sql.unsafe(`select action, version::int, details from ${LEDGER}.events order by id`)
    assert.equal(
      events.map((e) => `${e.action}:${e.version}`),
      ['baseline:1', 'baseline:2'],
    )
    assert.is(events[0].details.baseline_to, 2)
    const verify = await s.json('verify')
    assert.equal(
      verify.doc.history.map((h: any) => [h.state, h.file]),
      [['pending', 'migrations/003_refunds.sql']],
    )
    assert.equal(verify.doc.objects, [])
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 0, migrate.stderr)
    assert.match(migrate.stdout, /applied\s+migrations\/003_refunds\.sql/)
    assert.not.match(migrate.stdout, /001_users|002_orders/)
    assert.is((await s.cli('verify')).code, 0)
  } finally {
    await s.dispose()
  }
})

test('refuses when objects those files create are missing, naming file and line; nothing is recorded', async () => {
  const s = await existingDatabase(false)
  try {
    const run = await s.cli('baseline', '--to', '2')
    assert.is(run.code, 1)
    assert.match(run.stderr, /refusing to baseline: 1 object/)
    assert.match(run.stderr, /migrations\/002_orders\.sql:2: index public\.orders_user does not exist/)
    assert.equal(await ledger(s), [])
  } finally {
    await s.dispose()
  }
})

test('--force records anyway, and verify then names what does not exist', async () => {
  const s = await existingDatabase(false)
  try {
    const { code, doc } = await s.json('baseline', '--to', '2', '--force')
    assert.is(code, 0)
    assert.equal(
      doc.objects.map((o: any) => o.object),
      ['index public.orders_user'],
    )
    assert.equal(await ledger(s), ['1:applied', '2:applied'])
    const verify = await s.json('verify')
    assert.is(verify.code, 1)
    assert.equal(
      verify.doc.objects.map((o: any) => `${o.file}:${o.line} ${o.object}`),
      ['migrations/002_orders.sql:2 index public.orders_user'],
    )
  } finally {
    await s.dispose()
  }
})

test('only on an empty ledger', async () => {
  const s = await scenario(FILES)
  try {
    assert.is((await s.cli('migrate', '--to', '1')).code, 0)
    const run = await s.cli('baseline', '--to', '2')
    assert.is(run.code, 1)
    assert.match(run.stderr, /the ledger already records 1 migration/)
    assert.equal(await ledger(s), ['1:applied'])
  } finally {
    await s.dispose()
  }
})

test('--to is required and must name files', async () => {
  const s = await existingDatabase()
  try {
    const none = await s.cli('baseline')
    assert.is(none.code, 2)
    assert.match(none.stderr, /needs --to/)
    const zero = await s.cli('baseline', '--to', '0')
    assert.is(zero.code, 2)
    assert.match(zero.stderr, /no migration file has a version up to 0/)
  } finally {
    await s.dispose()
  }
})

test.run()
