/**
 * strata backup before destructive migrations, strata restore after them: every row and value comes back
 * byte for byte (NULLs, unicode, bytea, jsonb, arrays, 20k rows), through the CLI as a user runs it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

// Values that trip up text formats: tabs, newlines, backslashes, quotes, NUL-free binary of every byte, RTL and emoji.
const SETUP = `
create table if not exists public.accounts (
  id bigint generated always as identity primary key,
  email text not null,
  nickname text,
  avatar bytea,
  prefs jsonb,
  balance numeric(12, 2),
  seen timestamptz,
  tags text[]
);
insert into public.accounts (email, nickname, avatar, prefs, balance, seen, tags)
select 'user' || g || '@example.com',
       case when g % 5 = 0 then null when g % 5 = 1 then E'tab\\there, newline\\nthere, back\\\\slash' when g % 5 = 2 then 'Zoë 🐘 שלום ' || g else '"quoted" ''single'' ' || g end,
       case when g % 7 = 0 then null else decode(md5(g::text), 'hex') || '\\x00ff0a0d5c'::bytea end,
       case when g % 11 = 0 then null else jsonb_build_object('g', g, 'nested', jsonb_build_object('ü', array[g, -g]), 'text', E'line\\nbreak') end,
       case when g % 13 = 0 then null else (g * 1.37)::numeric(12, 2) end,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '17 minutes',
       case when g % 3 = 0 then null else array['a' || g, null, 'c,d', '{x}'] end
  from generate_series(1, 20000) g on conflict do nothing;
create table if not exists public.events (at timestamptz, kind text, payload jsonb);
insert into public.events select now() - g * interval '1 second', case when g % 4 = 0 then null else 'kind ' || (g % 9) end, jsonb_build_object('n', g)
  from generate_series(1, 3000) g;
create table if not exists public.sessions (id serial primary key, token text not null);
insert into public.sessions (token) select md5(g::text) from generate_series(1, 500) g on conflict do nothing;
create table if not exists public.legacy (code text primary key, body text default 'none', n int not null);
insert into public.legacy select 'c' || g, case when g % 2 = 0 then null else 'body ✓ ' || g end, g from generate_series(1, 1000) g on conflict do nothing;
`

const DESTROY = `
-- strata:ignore delete-without-where
delete from public.events;
truncate public.sessions;
drop table if exists public.legacy;
alter table public.accounts drop column if exists nickname;
`

const COLUMNS: Record<string, string> = {
  accounts: 'id, email, nickname, avatar, prefs, balance, seen, tags',
  events: 'at, kind, payload',
  sessions: 'id, token',
  legacy: 'code, body, n',
}

/** A checksum of every value of the table in a fixed column order and row order. */
async function checksum(table: string): Promise<{ rows: number; md5: string | null }> {
  const [r] = await db.sql.unsafe(
    `select count(*)::int as rows, md5(string_agg(row(${COLUMNS[table]})::text, ',' order by row(${COLUMNS[table]})::text)) as md5 from public.${table}`,
  )
  return { rows: r.rows, md5: r.md5 }
}

async function checksums() {
  const out: Record<string, { rows: number; md5: string | null }> = {}
  for (const t of Object.keys(COLUMNS)) out[t] = await checksum(t)
  return out
}

// Each test has its own project, so its own ledger schema (named after the project folder).
const run = (cwd: string, args: string[]) =>
  strata([...args, '--url', db.url, '--schema', `ledger_${cwd.slice(-6).replace(/\W/g, '_')}`], { cwd })

test('backup before DELETE/TRUNCATE/DROP TABLE/DROP COLUMN, then restore: every row and value comes back byte for byte', async () => {
  const cwd = project({ 'migrations/001_setup.sql': SETUP, 'migrations/002_destroy.sql': DESTROY })
  const setup = await run(cwd, ['migrate', '--to', '1'])
  assert.is(setup.code, 0, setup.stderr)
  const before = await checksums()
  assert.is(before.accounts.rows, 20000)

  const backup = await run(cwd, ['backup', '--json'])
  assert.is(backup.code, 0, backup.stderr)
  const doc = JSON.parse(backup.stdout)
  const dir = join(cwd, doc.backup.dir)
  assert.equal(doc.backup.tables.map((t: { table: string }) => t.table).sort(), [
    'public.accounts',
    'public.events',
    'public.legacy',
    'public.sessions',
  ])

  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
  assert.match(readFileSync(join(cwd, '.strata/backups/.gitignore'), 'utf8'), /^\*$/m, 'backups are kept out of git')
  assert.not.match(JSON.stringify(manifest), new URL(db.url).password, 'the manifest never holds the password')
  assert.match(manifest.target, /\*\*\*\*/)
  assert.ok(manifest.serverVersion)
  for (const t of manifest.tables) {
    const data = gunzipSync(readFileSync(join(dir, t.file)))
    assert.is(createHash('sha256').update(data).digest('hex'), t.sha256, `${t.table}: sha256 of the uncompressed data`)
    assert.is(t.reasons[0].file, 'migrations/002_destroy.sql')
  }
  const byName = Object.fromEntries(manifest.tables.map((t: any) => [t.name, t]))
  assert.equal(
    byName.events.reasons.map((r: any) => [r.line, r.rule]),
    [[3, 'delete-without-where']],
    'a finding silenced with strata:ignore is still backed up',
  )
  assert.equal(
    byName.legacy.reasons.map((r: any) => [r.line, r.rule]),
    [[5, 'drop-table']],
  )
  assert.is(byName.accounts.scope, 'columns', 'DROP COLUMN keeps the key and the column, not the whole table')
  assert.equal(byName.accounts.columns, ['id', 'nickname'])
  assert.is(byName.accounts.rows, 20000)
  assert.is(byName.legacy.rows, 1000)

  const destroy = await run(cwd, ['migrate', '--allow-destructive'])
  assert.is(destroy.code, 0, destroy.stderr)
  assert.is((await checksum('events')).rows, 0)
  assert.is((await db.sql`select to_regclass('public.legacy') as t`)[0].t, null)

  const restore = await run(cwd, ['restore', doc.backup.dir])
  assert.is(restore.code, 0, restore.stderr)
  assert.match(restore.stdout, /public\.legacy: recreated the table and put back 1000 row\(s\)/)
  assert.match(restore.stdout, /added back column\(s\) nickname/)
  assert.equal(await checksums(), before, 'every table matches its checksum from before the destructive migration')

  // Sequences caught up: new rows do not collide with restored ids.
  const [s] = await db.sql`insert into public.sessions (token) values ('new') returning id`
  assert.is(s.id, 501)
  const [a] = await db.sql`insert into public.accounts (email) values ('new@example.com') returning id`
  assert.ok(Number(a.id) > 20000)
  const [legacy] = await db.sql`select body from public.legacy where code = 'c2'`
  assert.is(legacy.body, null)
  await db.sql`insert into public.legacy (code, n) values ('fresh', 1)`
  assert.is(
    (await db.sql`select body from public.legacy where code = 'fresh'`)[0].body,
    'none',
    'the recreated table kept its column default',
  )
})

test('restore refuses to overwrite data without --force, changes nothing then, and merges by primary key with it', async () => {
  const cwd = project({
    'migrations/001_t.sql':
      'create table if not exists public.prices (id int primary key, amount numeric(8,2), note text);\n' +
      "insert into public.prices select g, g * 1.5, case when g % 2 = 0 then null else 'n' || g end from generate_series(1, 300) g on conflict do nothing;",
    'migrations/002_zero.sql': '-- strata:ignore update-without-where\nupdate public.prices set amount = 0;',
  })
  const setup = await run(cwd, ['migrate', '--to', '1'])
  assert.is(setup.code, 0, setup.stderr)
  const sum = async () => (await db.sql`select md5(string_agg(row(id, amount, note)::text, ',' order by id)) as h from public.prices`)[0].h
  const before = await sum()
  const backup = await run(cwd, ['backup', '--json'])
  assert.is(backup.code, 0, backup.stderr)
  const dir = JSON.parse(backup.stdout).backup.dir
  assert.is((await run(cwd, ['migrate'])).code, 0)
  await db.sql`insert into public.prices values (1000, 9.99, 'added after the backup')`
  const zeroed = await sum()

  const refused = await run(cwd, ['restore', dir])
  assert.is(refused.code, 1)
  assert.match(refused.stderr, /public\.prices: amount hold values now/)
  assert.match(refused.stderr, /--force/)
  assert.is(await sum(), zeroed, 'a refused restore changes nothing')

  const forced = await run(cwd, ['restore', dir, '--force'])
  assert.is(forced.code, 0, forced.stderr)
  await db.sql`delete from public.prices where id = 1000`
  assert.is(await sum(), before)
})

test('TRUNCATE ... CASCADE, ALTER COLUMN TYPE and DROP TYPE ... CASCADE: backed up, restored parents first, retyped columns only by choice', async () => {
  const cwd = project({
    'migrations/001_t.sql': `
do $$ begin create type public.mood_t as enum ('ok', 'sad'); exception when duplicate_object then null; end $$;
create table if not exists public.parent (id int primary key, label text);
create table if not exists public.child (id int primary key, parent_id int not null references public.parent (id), mood public.mood_t);
create table if not exists public.amounts (id int primary key, amount numeric(10, 2));
insert into public.parent select g, 'p' || g from generate_series(1, 50) g on conflict do nothing;
insert into public.child select g, 1 + g % 50, case when g % 3 = 0 then null when g % 2 = 0 then 'ok'::public.mood_t else 'sad' end from generate_series(1, 200) g on conflict do nothing;
insert into public.amounts select g, g * 1.25 from generate_series(1, 100) g on conflict do nothing;`,
    'migrations/002_break.sql':
      'truncate public.parent cascade;\nalter table public.amounts alter column amount type int;\ndrop type if exists public.mood_t cascade;',
  })
  assert.is((await run(cwd, ['migrate', '--to', '1'])).code, 0)
  const sums = async () => ({
    parent: (await db.sql`select md5(string_agg(row(id, label)::text, ',' order by id)) as h from public.parent`)[0].h,
    child: (await db.sql`select md5(string_agg(row(id, parent_id, mood::text)::text, ',' order by id)) as h from public.child`)[0].h,
    amounts: (await db.sql`select md5(string_agg(row(id, amount)::text, ',' order by id)) as h from public.amounts`)[0].h,
  })
  const before = await sums()
  const backup = JSON.parse((await run(cwd, ['backup', '--json'])).stdout)
  const manifest = JSON.parse(readFileSync(join(cwd, backup.backup.dir, 'manifest.json'), 'utf8'))
  const entry = (name: string) => manifest.tables.find((t: any) => t.name === name)
  assert.equal(
    entry('child')
      .reasons.map((r: any) => r.rule)
      .sort(),
    ['drop-cascade', 'drop-cascade'],
    'the table TRUNCATE CASCADE empties, and the column DROP TYPE CASCADE drops',
  )
  assert.is(entry('child').scope, 'rows')
  assert.equal(entry('amounts').columns, ['id', 'amount'])
  const migrated = await run(cwd, ['migrate', '--allow-destructive'])
  assert.is(migrated.code, 0, migrated.stderr)

  const noType = await run(cwd, ['restore', backup.backup.dir])
  assert.is(noType.code, 1)
  assert.match(noType.stderr, /restoring public\.child: type "mood_t" does not exist/)
  assert.match(noType.stderr, /Nothing was restored: the restore is one transaction/)
  await db.sql`create type public.mood_t as enum ('ok', 'sad')` // the user brings the type back

  const retyped = await run(cwd, ['restore', backup.backup.dir])
  assert.is(retyped.code, 1)
  assert.match(retyped.stderr, /public\.amounts: column types changed since the backup: amount \(numeric\(10,2\) then, integer now\)/)
  assert.is((await db.sql`select count(*)::int as n from public.parent`)[0].n, 0, 'refused: nothing restored')

  // Child before parent on the command line: parents are restored first anyway.
  const rows = await run(cwd, ['restore', backup.backup.dir, '--table', 'public.child', '--table', 'parent'])
  assert.is(rows.code, 0, rows.stderr)
  assert.match(rows.stdout, /added back column\(s\) mood/)
  // And the column type back, then --force over the rounded values.
  await db.sql`alter table public.amounts alter column amount type numeric(10, 2)`
  const overwrite = await run(cwd, ['restore', backup.backup.dir, '--table', 'amounts'])
  assert.is(overwrite.code, 1)
  assert.match(overwrite.stderr, /amount hold values now/)
  assert.is((await run(cwd, ['restore', backup.backup.dir, '--table', 'amounts', '--force'])).code, 0)
  assert.equal(await sums(), before)
})

test('a backup file that does not match its manifest is refused and nothing is restored', async () => {
  const cwd = project({
    'migrations/001_t.sql':
      'create table if not exists public.doomed (id int primary key);\ncreate table if not exists public.doomed2 (id int);\n' +
      'insert into public.doomed select generate_series(1, 10) on conflict do nothing;\ninsert into public.doomed2 values (1);',
    'migrations/002_drop.sql': 'drop table if exists public.doomed;',
    'migrations/003_empty.sql': 'truncate public.doomed2;',
  })
  assert.is((await run(cwd, ['migrate', '--to', '1'])).code, 0)
  // --to 2 backs up what migrate --to 2 would destroy: not what 003 does.
  const first = JSON.parse((await run(cwd, ['backup', '--json', '--to', '2'])).stdout)
  assert.equal(
    first.backup.tables.map((t: { table: string }) => t.table),
    ['public.doomed'],
  )
  const backup = JSON.parse((await run(cwd, ['backup', '--json'])).stdout)
  assert.is((await run(cwd, ['migrate', '--allow-destructive'])).code, 0)
  const manifestPath = join(cwd, backup.backup.dir, 'manifest.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  manifest.tables[1].sha256 = '0'.repeat(64)
  writeFileSync(manifestPath, JSON.stringify(manifest))
  const r = await run(cwd, ['restore', backup.backup.dir])
  assert.is(r.code, 1)
  assert.match(r.stderr, /does not match the manifest/)
  assert.is((await db.sql`select to_regclass('public.doomed') as t`)[0].t, null, 'the first table was not restored either: one transaction')
})

test('nothing at risk: backup says so and writes nothing', async () => {
  const cwd = project({
    'migrations/001_safe.sql': 'create table if not exists public.safe (id int);\ndrop table if exists public.never_existed;',
  })
  const r = await run(cwd, ['backup'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /nothing to back up: the 1 pending file\(s\) destroy no data that exists in this database/)
  assert.not.ok(existsSync(join(cwd, '.strata/backups')))
})

test.run()
