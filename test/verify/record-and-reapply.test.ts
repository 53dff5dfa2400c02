/**
 * Repairs that cannot recreate the outage: repair --applied and adopt check the file's objects (as baseline
 * does) and refuse without --force; repair --reapply runs an applied file again whose objects went missing, in
 * one transaction with its event; verify suggests it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repair } from '../../src/index.js'
import { failure } from '../support/failure.js'
import { LEDGER, scenario } from './helpers.js'

const FILES = {
  '001_a.sql': 'create table if not exists rr_a (id int primary key);\n',
  '002_b.sql':
    'create table if not exists rr_b (id int primary key, a_id int references rr_a);\ncreate index if not exists rr_b_a on rr_b (a_id);\n',
  '003_c.sql': 'create table if not exists rr_c (id int);\n',
}

const events = async (s: Awaited<ReturnType<typeof scenario>>) =>
  (await s.db.sql.unsafe(`select action, version::bigint::text as version, details from ${LEDGER}.events order by id`)).map((e: any) => ({
    ...e,
    version: Number(e.version),
  })) as any[]

test('repair --applied refuses a file whose objects are not there, naming them; --force records it and the event says so', async () => {
  const s = await scenario(FILES)
  try {
    assert.is((await s.cli('migrate', '--to', '2')).code, 0)
    const refused = await s.cli('repair', '--applied', '3', '--yes')
    assert.is(refused.code, 1)
    assert.match(refused.stderr, /refusing to repair --applied 3: 1 object\(s\) that the file creates are not in the database/)
    assert.match(refused.stderr, /table public\.rr_c/)
    assert.match(refused.stderr, /--force/)
    assert.is((await s.db.sql.unsafe(`select count(*)::int as n from ${LEDGER}.migrations where version = 3`))[0].n, 0, 'nothing recorded')

    const forced = await s.json('repair', '--applied', '3', '--yes', '--force')
    assert.is(forced.code, 0, forced.stderr)
    assert.is(forced.doc.missing.length, 1)
    const e = (await events(s)).at(-1)
    assert.equal([e.action, e.version, e.details.forced], ['repair', 3, true])
  } finally {
    await s.dispose()
  }
})

test('adopt supabase refuses history whose tables are not in the database, unless --force', async () => {
  const s = await scenario(
    { '20240101120000_profiles.sql': 'create table if not exists rr_profiles (id uuid primary key);\n' },
    'supabase/migrations',
  )
  try {
    await s.sql(
      'create schema supabase_migrations; create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text)',
    )
    await s.sql(`insert into supabase_migrations.schema_migrations (version, name) values ('20240101120000', 'profiles')`)
    const refused = await s.cli('adopt', 'supabase')
    assert.is(refused.code, 1)
    assert.match(refused.stderr, /refusing to adopt supabase: 1 object\(s\) that the file creates are not in the database/)
    assert.match(refused.stderr, /rr_profiles/)
    const forced = await s.cli('adopt', 'supabase', '--force')
    assert.is(forced.code, 0, forced.stderr)
    assert.equal(
      (await events(s)).map((e) => [e.action, e.details.forced]),
      [['adopt', true]],
    )
  } finally {
    await s.dispose()
  }
})

test('seed 003: a table of an applied file went missing; verify suggests repair --reapply, which brings it back with an event', async () => {
  const s = await scenario(FILES)
  try {
    assert.is((await s.cli('migrate')).code, 0)
    await s.sql('drop table rr_b')
    const verify = await s.cli('verify')
    assert.is(verify.code, 1)
    assert.match(verify.stdout, /strata repair --reapply 2 /)
    const ledgerBefore = await s.db.sql.unsafe(`select * from ${LEDGER}.migrations order by version`)

    const run = await s.cli('repair', '--reapply', '2', '--yes')
    assert.is(run.code, 0, run.stderr)
    assert.match(run.stdout, /ran version 2 \(b\) again/)
    assert.is((await s.cli('verify')).code, 0, 'the objects are back')
    assert.equal(
      await s.db.sql.unsafe(`select * from ${LEDGER}.migrations order by version`),
      ledgerBefore,
      'the row keeps its first apply',
    )
    const e = (await events(s)).at(-1)
    assert.equal([e.action, e.version, e.details.operation, e.details.path], ['repair', 2, 'reapply', 'migrations/002_b.sql'])
  } finally {
    await s.dispose()
  }
})

test('repair --reapply that fails rolls back everything, located in the file, with no event; a no-transaction file needs --yes', async () => {
  const s = await scenario({
    ...FILES,
    '003_c.sql': 'create table if not exists rr_c (id int primary key);\ninsert into rr_c values (1);\n',
    '004_idx.sql': '-- strata:no-transaction\ncreate index concurrently if not exists rr_c_id on rr_c (id);\n',
  })
  try {
    assert.is((await s.cli('migrate')).code, 0)
    const before = (await events(s)).length
    const failed = await s.cli('repair', '--reapply', '3', '--yes')
    assert.is(failed.code, 1)
    assert.match(failed.stderr, /migrations\/003_c\.sql:2:1/)
    assert.match(failed.stderr, /duplicate key/)
    assert.match(failed.stderr, /rolled back: nothing of this run took effect/)
    assert.is((await events(s)).length, before, 'no event for a run that did not happen')

    const asked = await failure(repair({ url: s.db.url, cwd: s.cwd, schema: LEDGER, reapply: 4, confirm: async () => true }))
    assert.is(asked.code, 'usage')
    assert.match(asked.message, /no-transaction file: it runs statement by statement/)
    await s.sql('drop index rr_c_id')
    const yes = await s.cli('repair', '--reapply', '4', '--yes')
    assert.is(yes.code, 0, yes.stderr)
    assert.is((await s.db.sql`select to_regclass('rr_c_id') is not null as ok`)[0].ok, true)
  } finally {
    await s.dispose()
  }
})

test.run()
