// What the history walker expects to exist after a sequence of files: pure, no database.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checksum, type MigrationFile } from '../../src/runner/file-format.js'
import { expectedSchema, keyOf } from '../../src/verify/index.js'

function files(...contents: string[]): MigrationFile[] {
  return contents.map((content, i) => ({
    version: i + 1,
    name: `f${i + 1}`,
    path: `migrations/00${i + 1}_f${i + 1}.sql`,
    content,
    checksum: checksum(content),
    noTransaction: false,
  }))
}

async function keys(searchPath: string[], ...contents: string[]): Promise<string[]> {
  return (await expectedSchema(files(...contents), searchPath)).list().map(keyOf).sort()
}

test('CREATE TABLE brings its columns and constraints, with the names Postgres chooses for unnamed ones', async () => {
  assert.equal(
    await keys(['public'], 'create table t (id serial primary key, email text unique, org_id int references orgs (id), check (id > 0));'),
    [
      'column public.t.email',
      'column public.t.id',
      'column public.t.org_id',
      'constraint public.t.t_email_key',
      'constraint public.t.t_id_check',
      'constraint public.t.t_org_id_fkey',
      'constraint public.t.t_pkey',
      'table public.t',
    ],
  )
})

test('a later DROP removes what an earlier file created, with everything that belongs to it', async () => {
  const got = await keys(
    ['public'],
    'create table a (id int primary key); create index a_id on a (id); create policy p on a using (true); alter table a enable row level security;',
    'drop table a;',
  )
  assert.equal(got, [])
})

test('renames are followed: table, column, index, constraint, type, function and schema', async () => {
  const got = await keys(
    ['public'],
    `create schema app; create table app.t (id int, name text, constraint t_pkey primary key (id));
     create index t_name on app.t (name); create type app.mood as enum ('a'); create function app.f(app.mood) returns int language sql as 'select 1';`,
    `alter table app.t rename to users; alter table app.users rename column name to full_name; alter index app.t_name rename to users_full_name;
     alter index app.t_pkey rename to users_pkey; alter type app.mood rename to feeling; alter type app.feeling rename value 'a' to 'b';
     alter function app.f(app.feeling) rename to g; alter schema app rename to core;`,
  )
  assert.equal(got, [
    'column core.users.full_name',
    'column core.users.id',
    'constraint core.users.users_pkey',
    "enum value core.feeling 'b'",
    'function core.g(core.feeling)',
    'index core.users_full_name',
    'schema core',
    'table core.users',
    'type core.feeling',
  ])
})

test('IF NOT EXISTS on something that exists changes nothing; DROP ... CASCADE takes foreign keys and views along', async () => {
  const got = await keys(
    ['public'],
    'create table a (id int primary key); create table b (id int, a_id int references a (id)); create view v as select * from a;',
    'create table if not exists a (other int); drop table a cascade;',
  )
  assert.equal(got, ['column public.b.a_id', 'column public.b.id', 'table public.b'])
})

test('dropping a column drops the indexes and constraints that use it', async () => {
  const got = await keys(
    ['public'],
    'create table t (id int, code text unique, note text); create index t_code_note on t (code, note);',
    'alter table t drop column code;',
  )
  assert.equal(got, ['column public.t.id', 'column public.t.note', 'table public.t'])
})

test('unqualified names follow the search_path of the database and SET search_path inside a file', async () => {
  assert.equal(await keys(['tenant', 'public'], 'create table t (id int);'), ['column tenant.t.id', 'table tenant.t'])
  assert.equal(
    await keys(
      ['public'],
      "set search_path = app; create table t (id int);\nselect set_config('search_path', 'other', false); create table u (id int);",
    ),
    ['column app.t.id', 'column other.u.id', 'table app.t', 'table other.u'],
  )
})

test('objects created in a DO block are not guessed: the statement is listed as unchecked, with its line', async () => {
  const expected = await expectedSchema(files("create table t (id int);\n\ndo $$ begin execute 'create table dyn (id int)'; end $$;"), [
    'public',
  ])
  assert.equal(expected.list().map(keyOf).sort(), ['column public.t.id', 'table public.t'])
  assert.equal(
    expected.unchecked.map((u) => [u.file, u.line, u.statement]),
    [['migrations/001_f1.sql', 3, 'DO']],
  )
})

test('a file that does not parse is listed as unchecked', async () => {
  const expected = await expectedSchema(files('create table t (id int);', 'create tabel oops;'), ['public'])
  assert.equal(
    expected.unchecked.map((u) => [u.file, u.statement]),
    [['migrations/002_f2.sql', 'file']],
  )
})

test('functions are keyed by their input argument types; DROP FUNCTION by name drops every overload', async () => {
  assert.equal(
    await keys(
      ['public'],
      "create function f(a int, out b text) returns text language sql as 'select 1'; create function f(varchar) returns int language sql as 'select 1';",
    ),
    ['function public.f(character varying)', 'function public.f(integer)'],
  )
  assert.equal(
    await keys(
      ['public'],
      "create function f(int) returns int language sql as 'select 1'; create function f(text) returns int language sql as 'select 1';",
      'drop function f;',
    ),
    [],
  )
})

test('ALTER TYPE ADD VALUE adds an enum value; the last file to (re)create an object is named as its origin', async () => {
  const expected = await expectedSchema(files("create type mood as enum ('sad');", "alter type mood add value if not exists 'happy';"), [
    'public',
  ])
  const byKey = Object.fromEntries(expected.list().map((o) => [keyOf(o), o.origin]))
  assert.equal(byKey["enum value public.mood 'happy'"], { file: 'migrations/002_f2.sql', line: 1, version: 2 })
  assert.equal(byKey['type public.mood'].file, 'migrations/001_f1.sql')
})

test('a file read in pieces (as a large one is) expects what it expects read at once, and one that does not parse nothing', async () => {
  const examples = readdirSync('migrations')
    .filter((name) => /^\d+_.*(?<!\.down)\.sql$/.test(name))
    .sort()
    .map((name) => readFileSync(join('migrations', name), 'utf8'))
  const late = `create table early_a (id int);\nset search_path = other;\ncreate table early_b (id int);\ninsert into early_a values (1), (2), (3);\ncreate tabel late_error (id int);`
  const history = files(...examples, 'set search_path = app, public;\ncreate table in_app (id int);', late, 'create table after (id int);')
  const whole = await expectedSchema(history, ['public'])
  const pieces = await expectedSchema(history, ['public'], { pieceChars: 1, elideRowsOver: 0, rowBatchChars: 1, wholeFileChars: 0 })
  assert.ok(whole.list().length > 20, 'the example migrations create objects')
  assert.equal(pieces.list().map(keyOf).sort(), whole.list().map(keyOf).sort())
  assert.equal(
    pieces.list().map((o) => `${keyOf(o)} ${o.origin.file}:${o.origin.line}`),
    whole.list().map((o) => `${keyOf(o)} ${o.origin.file}:${o.origin.line}`),
  )
  assert.equal(pieces.unchecked, whole.unchecked)
  assert.ok(
    whole.unchecked.some((u) => u.version === examples.length + 2 && u.line === 5),
    'the file with a late syntax error is unchecked at its line 5',
  )
  assert.not.ok(
    pieces.list().some((o) => /early_/.test(keyOf(o))),
    'and none of its statements before the error are expected',
  )
  assert.ok(pieces.list().some((o) => keyOf(o) === 'table app.in_app'))
})

test.run()
