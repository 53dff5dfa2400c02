// strata reset: a development database loses what its history created (rows backed up first) and is migrated
// again from the first file; the ledger's events stay; other databases and remote hosts are never touched.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freshDatabase, type TestDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'
import { LEDGER, scenario, type Scenario } from '../verify/helpers.js'

const FILES = {
  '001_notes.sql': `create schema if not exists app;
create table if not exists app.notes (id int primary key, body text);
create table if not exists public.tags (id int primary key, name text);
create or replace function public.tag_count() returns bigint language sql as $$ select count(*) from public.tags $$;
`,
  '002_seed.sql': `insert into app.notes values (1, 'seed') on conflict do nothing;\n`,
}

let s: Scenario
let other: TestDatabase
test.before(async () => {
  s = await scenario(FILES)
  other = await freshDatabase()
  await other.sql.unsafe('create table keep_me (id int); insert into keep_me values (1)')
  const run = await s.cli('migrate')
  assert.is(run.code, 0, run.stderr)
  await s.sql(`insert into app.notes values (2, 'written by hand');
    insert into public.tags values (1, 'x');
    create schema hand_made; create table hand_made.t (id int);
    create table public.stray (id int); create extension if not exists pg_trgm;`)
})
test.after(async () => {
  await s.dispose()
  await other.drop()
})

test('refuses a host that is not on this machine unless --force --yes, before connecting', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;\n' })
  for (const url of [
    'postgres://u:secret@db.example.com/app',
    'postgres://postgres.abc:secret@aws-0-eu-west-1.pooler.supabase.com:6543/postgres',
  ]) {
    const run = await strata(['reset', '--url', url, '--yes'], { cwd })
    assert.is(run.code, 2, run.stderr)
    assert.match(run.stderr, /refusing to reset/)
    assert.match(run.stderr, /--force --yes/)
    assert.not.match(run.stderr, /secret/)
  }
  const supabase = await strata(
    ['reset', '--url', 'postgres://postgres.abc:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres', '--yes'],
    { cwd },
  )
  assert.match(supabase.stderr, /is a Supabase project/)
})

test('asks for confirmation: without a terminal and without --yes nothing is dropped', async () => {
  const run = await s.cli('reset')
  assert.is(run.code, 2)
  assert.match(run.stderr, /pass --yes/)
  const [row] = (await s.sql('select count(*)::int as n from app.notes')) as any[]
  assert.is(row.n, 2)
})

test('drops what the history created and what was added by hand, backs the rows up, migrates again', async () => {
  const { code, doc, stderr } = await s.json('reset', '--yes')
  assert.is(code, 0, stderr)
  for (const o of [
    'schema app',
    'schema hand_made',
    'table public.tags',
    'table public.stray',
    'function public.tag_count',
    'extension pg_trgm',
  ])
    assert.ok(doc.dropped.includes(o), `${o} in ${doc.dropped.join(', ')}`)
  assert.not.ok(doc.dropped.includes(`schema ${LEDGER}`), 'the ledger stays')
  assert.is(doc.migrated.applied.length, 2)
  const notes = (await s.sql('select id, body from app.notes order by id')) as any[]
  assert.equal(
    notes.map((n) => n.body),
    ['seed'],
    'the history ran again from the first file',
  )
  assert.is(((await s.sql(`select to_regclass('public.stray') as t`)) as any[])[0].t, null)
  const events = (await s.sql(`select action from ${LEDGER}.events order by id`)) as any[]
  assert.equal(
    events.map((e) => e.action),
    ['apply', 'apply', 'reset', 'apply', 'apply'],
    'events are never deleted',
  )

  assert.ok(doc.backup && existsSync(join(s.cwd, doc.backup.dir)), 'rows were backed up')
  const saved = Object.fromEntries(doc.backup.tables.map((t: any) => [t.table, t.rows]))
  assert.is(saved['app.notes'], 2)
  assert.is(saved['public.tags'], 1)
  const restore = await s.cli('restore', doc.backup.dir, '--table', 'public.tags')
  assert.is(restore.code, 0, restore.stderr)
  const tags = (await s.sql('select name from public.tags')) as any[]
  assert.equal(
    tags.map((t) => t.name),
    ['x'],
    'strata restore puts the rows back',
  )

  const [kept] = (await other.sql.unsafe('select count(*)::int as n from keep_me')) as any[]
  assert.is(kept.n, 1, 'another database on the same server is untouched')
})

test.run()
