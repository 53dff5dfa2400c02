// Other tools' folders read as those tools read them: names, order, sections, markers, what is skipped and
// what is refused. No database.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readHistory, readMigrations } from '../../src/runner/files.js'
import { normalize } from '../../src/runner/file-format.js'
import { project } from '../support/project.js'
import { StrataError } from '../../src/index.js'
import type { LayoutName } from '../../src/layouts/index.js'

const read = (files: Record<string, string>, layout?: LayoutName) => readHistory('m', project(prefixed(files)), layout)
const prefixed = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [`m/${k}`, v]))

function refusal(run: () => unknown): StrataError {
  try {
    run()
  } catch (e) {
    assert.instance(e, StrataError)
    return e as StrataError
  }
  throw new Error('expected a refusal')
}

const GOOSE = `-- +goose Up
-- +goose StatementBegin
create table if not exists t (id int);
-- +goose StatementEnd

-- +goose Down
drop table t;
`

test('goose: the Up section runs, the Down section is the down, line numbers stay the file’s own', () => {
  const { files, layout, detected } = read({
    '001_init.sql': GOOSE,
    '002_idx.sql': '-- +goose no transaction\n-- +goose Up\ncreate index concurrently i on t (id);\n',
  })
  assert.equal([layout, detected], ['goose', true])
  const [init, idx] = files
  assert.not.match(init.content, /drop table/)
  assert.match(init.content, /create table/)
  assert.is(normalize(init.down!.content).split('\n')[6], 'drop table t;', 'the down section keeps its line (7)')
  assert.is(init.down!.path, 'm/001_init.sql (Down section)')
  assert.equal([init.noTransaction, idx.noTransaction], [false, true], 'NO TRANSACTION in any case')
})

test('goose: what goose refuses is refused, naming the file and line', () => {
  const cases: [string, RegExp][] = [
    ['create table t (id int);\n', /no "-- \+goose Up" annotation/],
    ['-- +goose Up\n -- +goose StatementBegin\nselect 1;\n', /:2: .*indented/],
    ['-- +goose ENVSUB ON\n-- +goose Up\nselect ${X};\n', /:1: .*ENVSUB ON substitutes environment variables/],
    ['select 1;\n-- +goose Up\nselect 2;\n', /:1: SQL before "-- \+goose Up"/],
  ]
  for (const [content, message] of cases) assert.match(refusal(() => read({ '001_a.sql': content }, 'goose')).message, message)
  assert.match(refusal(() => read({ '001_a.sql': GOOSE, '002_b.go': 'package m' }, 'goose')).message, /002_b\.go: a Go migration/)
})

test('dbmate: migrate:up / migrate:down with transaction:false; a missing down section is refused as dbmate refuses it', () => {
  const { files } = read(
    {
      '20240101000000_a.sql': '-- migrate:up transaction:false\ncreate index concurrently i on t (a);\n\n-- migrate:down\ndrop index i;\n',
    },
    'dbmate',
  )
  assert.equal([files[0].version, files[0].name, files[0].noTransaction], [20240101000000, 'a', true])
  assert.match(files[0].down!.content, /drop index i/)
  assert.match(refusal(() => read({ '1_a.sql': '-- migrate:up\nselect 1;\n' }, 'dbmate')).message, /no "-- migrate:down" section/)
})

test('node-pg-migrate: Up/Down Migration markers; a 17-digit UTC prefix counts as its milliseconds', () => {
  const { files } = read(
    {
      '20240101000000000_b.sql': '-- Up Migration\nselect 2;\n-- Down Migration\nselect -2;\n',
      '1700000000000_a.sql': '-- up migration\nselect 1;\n',
    },
    'node-pg-migrate',
  )
  assert.equal(
    files.map((f) => [f.version, f.name]),
    [
      [1700000000000, 'a'],
      [Date.UTC(2024, 0, 1), 'b'],
    ],
  )
  assert.match(files[1].down!.content, /select -2/)
})

test('golang-migrate and sqlx: .up.sql/.down.sql pairs; sqlx’s -- no-transaction; names the tool skips are listed, not run', () => {
  const pair = {
    '0001_init.up.sql': 'create table if not exists t (id int);',
    '0001_init.down.sql': 'drop table t;',
    'notes.sql': 'select 1;',
  }
  const golang = read(pair, 'golang-migrate')
  assert.equal(
    golang.files.map((f) => [f.version, f.name, f.downPath]),
    [[1, 'init', 'm/0001_init.down.sql']],
  )
  assert.equal(
    golang.skipped.map((s) => s.path),
    ['m/notes.sql'],
  )
  const sqlx = read({ '20240101_idx.sql': '-- no-transaction\ncreate index concurrently i on t (a);\n' }, 'sqlx')
  assert.ok(sqlx.files[0].noTransaction)
})

test('flyway: versions ordered part by part, repeatables after them, undo files as downs; placeholders and baseline migrations refused', () => {
  const { files } = read(
    {
      'V1__init.sql': 'create table if not exists t (id int);',
      'V1.10__ten.sql': 'select 110;',
      'V1_9__nine.sql': 'select 19;',
      'V2__two.sql': 'select 2;',
      'U2__two.sql': 'select -2;',
      'R__view.sql': 'create or replace view v as select 1;',
      'sub/V3__deeper.sql': 'select 3;',
      'V3__deeper.sql.conf': '',
      'README.md': '',
    },
    'flyway',
  )
  assert.equal(
    files.map((f) => [f.name, f.version, !!f.repeatable]),
    [
      ['init', 1_000_000, false],
      ['nine', 1_009_000, false],
      ['ten', 1_010_000, false],
      ['two', 2_000_000, false],
      ['deeper', 3_000_000, false],
      ['view', files[5].version, true],
    ],
  )
  assert.ok(files[5].version < 0, 'a repeatable has a negative key')
  assert.is(files[3].down!.content, 'select -2;')
  assert.match(
    refusal(() => read({ 'V1__a.sql': 'select ${schema};' }, 'flyway')).message,
    /V1__a\.sql:1: the Flyway placeholder \$\{schema\}/,
  )
  assert.match(refusal(() => read({ 'B1__a.sql': 'select 1;' }, 'flyway')).message, /baseline migration/)
  const conf = read(
    { 'V1__idx.sql': 'create index concurrently i on t (a);', 'V1__idx.sql.conf': 'executeInTransaction=false\n' },
    'flyway',
  )
  assert.ok(conf.files[0].noTransaction)
})

test('prisma: folders sharing a timestamp keep Prisma’s order, the second one second later', () => {
  const { files } = read(
    {
      '20240101000000_b/migration.sql': 'select 2;',
      '20240101000000_a/migration.sql': 'select 1;',
      '20240101000500_c/migration.sql': 'select 3;',
      'migration_lock.toml': 'provider = "postgresql"',
    },
    'prisma',
  )
  assert.equal(
    files.map((f) => [f.name, f.version]),
    [
      ['a', 20240101000000],
      ['b', 20240101000001],
      ['c', 20240101000500],
    ],
  )
  const clash = refusal(() =>
    read({ '20240101000000_a/migration.sql': '', '20240101000000_b/migration.sql': '', '20240101000001_c/migration.sql': '' }, 'prisma'),
  )
  assert.match(clash.message, /shares its timestamp/)
})

test('supabase: names the CLI skips are listed as skipped; postgres-migrations: ids without a gap, disable-transaction', () => {
  const supabase = read(
    { '20240101000000_init.sql': 'select 1;', '20240101000000_init.down.sql': 'select -1;', 'local_20240102_x.sql': 'select 2;' },
    'supabase',
  )
  assert.equal(
    [supabase.files.length, supabase.files[0].downPath, supabase.skipped[0]?.path],
    [1, 'm/20240101000000_init.down.sql', 'm/local_20240102_x.sql'],
  )
  const pm = read(
    { '0001-init.sql': 'select 1;', '00002-idx.sql': '-- postgres-migrations disable-transaction\ncreate index concurrently i on t (a);' },
    'postgres-migrations',
  )
  assert.equal(
    pm.files.map((f) => [f.version, f.noTransaction]),
    [
      [1, false],
      [2, true],
    ],
  )
  assert.match(refusal(() => read({ '0001-a.sql': '', '0003-c.sql': '' }, 'postgres-migrations')).message, /id 3 where 2 was expected/)
})

test('without a layout: a Strata folder holding one file with another tool’s markers refuses it, naming the marker and the --layout', () => {
  const err = refusal(() =>
    readMigrations('m', project(prefixed({ '001_a.sql': 'create table if not exists a (id int);', '002_b.sql': GOOSE }))),
  )
  assert.match(err.message, /m\/002_b\.sql:1: "-- \+goose Up" marks a goose section; run as a Strata file, its down section would run too/)
  assert.match(String(err.facts.hint), /--layout goose/)
  assert.is(err.code, 'files')
  const dbmate = refusal(() =>
    readMigrations('m', project(prefixed({ '001_a.sql': 'select 1;', '002_b.sql': '-- migrate:up\nselect 1;\n-- migrate:down\n' }))),
  )
  assert.match(String(dbmate.facts.hint), /--layout dbmate/)
  const up = refusal(() => readMigrations('m', project(prefixed({ '1_a.up.sql': 'select 1;' }))))
  assert.match(String(up.facts.hint), /--layout golang-migrate or --layout sqlx/)
})

test('the layout comes from --layout, else STRATA_LAYOUT, else package.json; an unknown one is refused', async () => {
  const { resolveFiles } = await import('../../src/config/index.js')
  const cwd = project({ 'package.json': JSON.stringify({ strata: { layout: 'goose', enforceFrom: '7' } }) })
  assert.is(resolveFiles({ cwd, env: {} }).layout, 'goose')
  assert.is(resolveFiles({ cwd, env: { STRATA_LAYOUT: 'dbmate' } }).layout, 'dbmate')
  assert.is(resolveFiles({ cwd, layout: 'flyway', env: { STRATA_LAYOUT: 'dbmate' } }).layout, 'flyway')
  assert.match(refusal(() => resolveFiles({ cwd, layout: 'liquibase', env: {} })).message, /--layout: unknown layout "liquibase"/)
  const bad = project({ 'package.json': JSON.stringify({ strata: { layout: 7 } }) })
  assert.match(refusal(() => resolveFiles({ cwd: bad, env: {} })).message, /"strata.layout" must be a string/)
})

test('strata new writes the next file as the folder’s tool writes one, so that its layout reads it', async () => {
  const { newMigration } = await import('../../src/commands/new.js')
  const goose = project(prefixed({ '001_init.sql': GOOSE }))
  const made = newMigration({ name: 'orders', dir: 'm', cwd: goose, env: {} })
  assert.is(made.path, 'm/002_orders.sql')
  assert.equal(
    readHistory('m', goose).files.map((f) => [f.version, !!f.down]),
    [
      [1, true],
      [2, true],
    ],
  )
  const flyway = project(prefixed({ 'V1__a.sql': 'select 1;', 'V2.1__b.sql': 'select 2;' }))
  assert.is(newMigration({ name: 'c', dir: 'm', cwd: flyway, env: {}, layout: 'flyway' }).path, 'm/V3__c.sql')
  const golang = project(prefixed({ '0001_a.up.sql': 'select 1;' }))
  const pair = newMigration({ name: 'b', dir: 'm', cwd: golang, env: {}, layout: 'golang-migrate' })
  assert.equal([pair.path, pair.downPath], ['m/0002_b.up.sql', 'm/0002_b.down.sql'])
})

test('strata reverse keeps the down a history holds in its files, and names a golang-migrate down as golang-migrate does', async () => {
  const { reverse } = await import('../../src/commands/reverse.js')
  const goose = project(prefixed({ '001_init.sql': GOOSE }))
  const kept = await reverse({ dir: 'm', cwd: goose, env: {}, force: true })
  assert.equal(
    kept.files.map((f) => [f.action, f.downPath]),
    [['kept', 'm/001_init.sql (Down section)']],
  )
  assert.is(readHistory('m', goose).files.length, 1, 'no .down.sql was written beside it')
  const golang = project(prefixed({ '0001_a.up.sql': 'create table if not exists a (id int);' }))
  const written = await reverse({ dir: 'm', cwd: golang, env: {}, layout: 'golang-migrate' })
  assert.equal(
    written.files.map((f) => f.downPath),
    ['m/0001_a.down.sql'],
  )
  assert.is(readHistory('m', golang, 'golang-migrate').files[0].downPath, 'm/0001_a.down.sql')
})

test.run()
