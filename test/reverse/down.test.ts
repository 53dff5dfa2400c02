// strata down: newest first, each down file in a transaction with its ledger row; refusals before anything runs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { down, migrate, reverse } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

/** Each test gets its own ledger schema and table names, so tests in one database stay independent. */
let n = 0
function setup(files: (t: string) => Record<string, string>) {
  const t = `down_${++n}`
  const schema = `ledger_${n}`
  const cwd = project(Object.fromEntries(Object.entries(files(t)).map(([k, v]) => [`migrations/${k}`, v])))
  const common = { url: db.url, cwd, schema }
  return { t, schema, cwd, common, dir: join(cwd, 'migrations') }
}

const three = (t: string) => ({
  '001_a.sql': `create table if not exists ${t}_a (id int primary key);`,
  '002_b.sql': `create table if not exists ${t}_b (id int primary key);\ninsert into ${t}_b (id) values (1), (2) on conflict (id) do nothing;`,
  '003_c.sql': `alter table ${t}_a add column if not exists note text;\ncreate index if not exists ${t}_a_note_idx on ${t}_a (note);`,
})

const exists = async (name: string) => (await db.sql`select to_regclass(${name}) is not null as ok`)[0].ok as boolean
const versions = async (schema: string) =>
  (await db.sql.unsafe(`select version::int as v from ${schema}.migrations order by version`)).map((r) => r.v)
const column = async (table: string, name: string) =>
  (await db.sql`select count(*)::int as n from information_schema.columns where table_name = ${table} and column_name = ${name}`)[0].n === 1

test('without --to, down rolls back only the newest applied file: its down file runs and its ledger row goes, with an event', async () => {
  const s = setup(three)
  await migrate(s.common)
  await reverse({ cwd: s.cwd })
  const result = await down({ ...s.common, yes: true })
  assert.equal(
    result.rolledBack.map((r) => r.version),
    [3],
  )
  assert.not.ok(await column(`${s.t}_a`, 'note'))
  assert.ok(await exists(`${s.t}_b`))
  assert.equal(await versions(s.schema), [1, 2])
  const [event] = await db.sql.unsafe(
    `select version::int, details->>'down_path' as down_path from ${s.schema}.events where action = 'rollback'`,
  )
  assert.is(event!.version, 3)
  assert.is(event!.down_path, 'migrations/003_c.down.sql')
})

test('--to keeps that version and everything below; --to 0 rolls back everything, newest first', async () => {
  const s = setup(three)
  await migrate(s.common)
  await reverse({ cwd: s.cwd })
  const first = await down({ ...s.common, yes: true, to: 1 })
  assert.equal(
    first.rolledBack.map((r) => r.version),
    [3, 2],
  )
  assert.not.ok(await exists(`${s.t}_b`))
  assert.equal(await versions(s.schema), [1])
  const rest = await down({ ...s.common, yes: true, to: 0 })
  assert.equal(
    rest.rolledBack.map((r) => r.version),
    [1],
  )
  assert.not.ok(await exists(`${s.t}_a`))
  assert.equal(await versions(s.schema), [])
  // And up again: the down files left nothing behind that would stop the files from applying.
  assert.is((await migrate(s.common)).applied.length, 3)
})

test('refuses, naming the file, when a down file is missing: nothing is rolled back, not even the files above it', async () => {
  const s = setup(three)
  await migrate(s.common)
  await reverse({ cwd: s.cwd })
  rmSync(join(s.dir, '002_b.down.sql'))
  const err = await failure(down({ ...s.common, yes: true, to: 0 }))
  assert.match(err.message, /migrations\/002_b\.down\.sql does not exist/)
  assert.match(String(err.facts.hint), /strata reverse 2/)
  assert.equal(await versions(s.schema), [1, 2, 3])
  assert.ok(await column(`${s.t}_a`, 'note'))
})

test('strata reverse fills the empty down file of strata new --with-down; down refuses an empty one', async () => {
  const s = setup((t) => ({
    '001_a.sql': `create table if not exists ${t}_a (id int);`,
    '001_a.down.sql': '-- Reverts 001_a.sql. Run by strata down.\n\n',
  }))
  await migrate(s.common)
  const err = await failure(down({ ...s.common, yes: true }))
  assert.match(err.message, /001_a\.down\.sql has no statements/)
  const [file] = (await reverse({ cwd: s.cwd })).files
  assert.is(file!.action, 'written')
  assert.match(readFileSync(join(s.dir, '001_a.down.sql'), 'utf8'), new RegExp(`DROP TABLE IF EXISTS ${s.t}_a;`))
  assert.equal(
    (await down({ ...s.common, yes: true })).rolledBack.map((r) => r.version),
    [1],
  )
})

test('refuses when the up file changed since its stub was written (the checksum in the stub header)', async () => {
  const s = setup(three)
  await reverse({ cwd: s.cwd })
  // The up file is edited after the stub was written, then applied as edited.
  writeFileSync(
    join(s.dir, '003_c.sql'),
    `alter table ${s.t}_a add column if not exists note text;\nalter table ${s.t}_a add column if not exists extra int;`,
  )
  await migrate(s.common)
  const err = await failure(down({ ...s.common, yes: true }))
  assert.match(
    err.message,
    /refusing to roll back with migrations\/003_c\.down\.sql: migrations\/003_c\.sql changed since this down file was written/,
  )
  assert.is(err.facts.file, 'migrations/003_c.down.sql')
  assert.equal(await versions(s.schema), [1, 2, 3])
})

test('an unfinished stub raises before it changes anything: the error names the up file and line, the row stays', async () => {
  const s = setup((t) => ({
    '001_a.sql': `create table if not exists ${t}_acc (id int primary key, tier text);`,
    '002_backfill.sql': `create table if not exists ${t}_log (id int);\nupdate ${t}_acc set tier = 'free' where tier is null;`,
  }))
  await migrate(s.common)
  const [written] = (await reverse({ cwd: s.cwd, versions: [2] })).files
  assert.not.ok(written!.complete)
  const err = await failure(down({ ...s.common, yes: true }))
  assert.is(err.code, 'migration')
  assert.match(err.message, /strata: migrations\/002_backfill\.sql:2: UPDATE cannot be reversed automatically; edit this down file/)
  assert.match(String(err.facts.outcome), /002_backfill\.down\.sql was rolled back: nothing of it took effect/)
  assert.ok(await exists(`${s.t}_log`), 'nothing of the stub may have run')
  assert.equal(await versions(s.schema), [1, 2])
})

test('a down file that fails on the server is rolled back whole and reported at its own line', async () => {
  const s = setup(three)
  await migrate(s.common)
  writeFileSync(join(s.dir, '003_c.down.sql'), `alter table ${s.t}_a drop column if exists note;\nselect * from no_such_table_${s.t};\n`)
  const err = await failure(down({ ...s.common, yes: true }))
  assert.is(err.facts.sqlstate, '42P01')
  assert.is(err.facts.file, 'migrations/003_c.down.sql')
  assert.is(err.facts.line, 2)
  assert.ok(await column(`${s.t}_a`, 'note'), 'the first statement of the failed down file must be rolled back')
  assert.equal(await versions(s.schema), [1, 2, 3])
})

test('a no-transaction down file runs statement by statement (DROP INDEX CONCURRENTLY)', async () => {
  const s = setup((t) => ({
    '001_a.sql': `create table if not exists ${t}_big (id int);`,
    '002_idx.sql': `-- strata:no-transaction\ncreate index concurrently if not exists ${t}_big_id_idx on ${t}_big (id);`,
  }))
  await migrate(s.common)
  await reverse({ cwd: s.cwd })
  assert.match(readFileSync(join(s.dir, '002_idx.down.sql'), 'utf8'), /-- strata:no-transaction\n[\s\S]*DROP INDEX CONCURRENTLY IF EXISTS/)
  const result = await down({ ...s.common, yes: true })
  assert.equal(
    result.rolledBack.map((r) => [r.version, r.mode]),
    [[2, 'no-transaction']],
  )
  assert.not.ok(await exists(`${s.t}_big_id_idx`))
  assert.equal(await versions(s.schema), [1])
})

test('CLI: without a terminal and without --yes, down refuses with exit 2; --dry-run touches nothing; --yes runs', async () => {
  const s = setup(three)
  await migrate(s.common)
  const cli = (args: string[]) => strata(['down', '--url', db.url, '--schema', s.schema, ...args], { cwd: s.cwd })
  const stubs = await strata(['reverse'], { cwd: s.cwd })
  assert.is(stubs.code, 0, stubs.stderr)
  assert.match(stubs.stdout, /wrote {4}migrations\/003_c\.down\.sql/)
  const refused = await cli([])
  assert.is(refused.code, 2)
  assert.match(refused.stderr, /needs confirmation/)
  const dry = await cli(['--dry-run', '--to', '1'])
  assert.is(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, /would roll back {2}migrations\/003_c\.sql[\s\S]*would roll back {2}migrations\/002_b\.sql/)
  assert.equal(await versions(s.schema), [1, 2, 3])
  const done = await cli(['--yes', '--json'])
  assert.is(done.code, 0, done.stderr)
  assert.equal(
    JSON.parse(done.stdout).rolledBack.map((r: { version: number }) => r.version),
    [3],
  )
  const kept = await strata(['reverse', '3'], { cwd: s.cwd })
  assert.match(kept.stdout, /kept {5}migrations\/003_c\.down\.sql/)
})

test.run()
