// strata adopt goose|dbmate|golang-migrate|flyway: each tool's ledger, as that tool writes it, taken over
// without running anything; edited files, dirty versions and missing objects refused; enforceFrom written.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flywayChecksum } from '../../src/layouts/flyway.js'
import { LEDGER, scenario, type Scenario } from './helpers.js'

async function versions(s: Scenario): Promise<string[]> {
  const [{ ledger }] = (await s.sql(`select to_regclass('${LEDGER}.migrations') is not null as ledger`)) as { ledger: boolean }[]
  if (!ledger) return []
  return ((await s.sql(`select version::text as v from ${LEDGER}.migrations order by version`)) as { v: string }[]).map((r) => r.v)
}
const strataSection = (s: Scenario) => JSON.parse(readFileSync(join(s.cwd, 'package.json'), 'utf8')).strata

const GOOSE = {
  '001_a.sql': '-- +goose Up\ncreate table a (id int);\n-- +goose Down\ndrop table a;\n',
  '002_b.sql': '-- +goose Up\ncreate table b (id int);\n-- +goose Down\ndrop table b;\n',
  '003_c.sql': '-- +goose Up\ncreate table c (id int);\n-- +goose Down\ndrop table c;\n',
}

test('adopt goose: a version is applied when its newest row says so; package.json gets the layout and enforceFrom', async () => {
  const s = await scenario(GOOSE)
  try {
    writeFileSync(join(s.cwd, 'package.json'), '{\n  "name": "app"\n}\n')
    await s.sql(`create table goose_db_version (id serial primary key, version_id bigint not null, is_applied boolean not null, tstamp timestamp default now());
      insert into goose_db_version (version_id, is_applied) values (0, true), (1, true), (2, true), (3, true), (3, false);
      create table a (id int); create table b (id int);`)
    const adopt = await s.json('adopt', 'goose')
    assert.is(adopt.code, 0, adopt.stderr)
    assert.equal(await versions(s), ['1', '2'])
    assert.equal(
      adopt.doc.pending.map((p: { version: number }) => p.version),
      [3],
    )
    assert.equal(strataSection(s), { layout: 'goose', enforceFrom: '3' })
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 1, 'file 3 is new work: full rules, and it lacks IF NOT EXISTS')
    assert.match(migrate.stderr, /003_c\.sql:2:1\s+error\s+require-if-not-exists/)
  } finally {
    await s.dispose()
  }
})

test('adopt refuses when the objects the adopted files create are missing, and records with --force', async () => {
  const s = await scenario(GOOSE)
  try {
    await s.sql(`create table goose_db_version (id serial primary key, version_id bigint not null, is_applied boolean not null, tstamp timestamp default now());
      insert into goose_db_version (version_id, is_applied) values (1, true), (2, true); create table a (id int);`)
    const refused = await s.cli('adopt', 'goose')
    assert.is(refused.code, 1)
    assert.match(
      refused.stderr,
      /refusing to adopt goose: 1 object\(s\) that those files create are not in the database[\s\S]*002_b\.sql:2: table public\.b does not exist/,
    )
    assert.equal(await versions(s), [])
    const forced = await s.cli('adopt', 'goose', '--force')
    assert.is(forced.code, 0, forced.stderr)
    assert.equal(await versions(s), ['1', '2'])
  } finally {
    await s.dispose()
  }
})

const PAIRS = {
  '1_a.up.sql': 'create table a (id int);',
  '1_a.down.sql': 'drop table a;',
  '2_b.up.sql': 'create table b (id int);',
  '3_c.up.sql': 'create table c (id int);',
}

test('adopt golang-migrate: every file up to the version reached; a dirty version is refused', async () => {
  const s = await scenario(PAIRS)
  try {
    await s.sql(`create table schema_migrations (version bigint not null primary key, dirty boolean not null);
      insert into schema_migrations values (2, true); create table a (id int); create table b (id int);`)
    const dirty = await s.cli('adopt', 'golang-migrate')
    assert.is(dirty.code, 1)
    assert.match(dirty.stderr, /golang-migrate marked version 2 dirty/)
    await s.sql('update schema_migrations set dirty = false')
    const adopt = await s.cli('adopt', 'golang-migrate')
    assert.is(adopt.code, 0, adopt.stderr)
    assert.equal(await versions(s), ['1', '2'])
    const wrongTool = await s.cli('adopt', 'dbmate', '--layout', 'golang-migrate')
    assert.match(wrongTool.stderr, /golang-migrate's, not dbmate's/)
  } finally {
    await s.dispose()
  }
})

test('adopt dbmate: the versions in its schema_migrations', async () => {
  const s = await scenario({
    '20240101000000_a.sql': '-- migrate:up\ncreate table a (id int);\n-- migrate:down\ndrop table a;\n',
    '20240102000000_b.sql': '-- migrate:up\ncreate table b (id int);\n-- migrate:down\ndrop table b;\n',
  })
  try {
    await s.sql(`create table schema_migrations (version varchar(128) primary key); insert into schema_migrations values ('20240101000000');
      create table a (id int);`)
    const adopt = await s.json('adopt', 'dbmate')
    assert.is(adopt.code, 0, adopt.stderr)
    assert.equal(await versions(s), ['20240101000000'])
    assert.is(adopt.doc.enforceFrom, '20240101000001')
  } finally {
    await s.dispose()
  }
})

const FLYWAY = {
  'V1__a.sql': 'create table a (id int);\n',
  'V1.1__b.sql': 'create table b (id int);\n',
  'R__v.sql': 'create or replace view v as select id from a;\n',
}

async function flywayDeploy(s: Scenario, files: Record<string, string>) {
  await s.sql(`create table flyway_schema_history (installed_rank int primary key, version varchar(50), description varchar(200) not null,
    type varchar(20) not null, script varchar(1000) not null, checksum int, installed_by varchar(100) not null default current_user,
    installed_on timestamp not null default now(), execution_time int not null default 0, success boolean not null)`)
  let rank = 1
  for (const [script, text] of Object.entries(files)) {
    await s.sql(text)
    const version = /^V([\d.]+)__/.exec(script)?.[1]
    await s.db.sql`insert into flyway_schema_history (installed_rank, version, description, type, script, checksum, success)
      values (${rank++}, ${version ?? null}, ${script}, 'SQL', ${script}, ${flywayChecksum(text)}, true)`
  }
  await s.sql(`insert into flyway_schema_history (installed_rank, version, description, type, script, checksum, success)
    values (${rank}, '44.1', 'java', 'JDBC', 'marquez.db.migrations.V44_1', null, true)`)
}

test('adopt flyway: Flyway’s CRC32 checksums must match; a Java migration is reported; a changed repeatable is applied again', async () => {
  const s = await scenario(FLYWAY)
  try {
    await flywayDeploy(s, FLYWAY)
    writeFileSync(join(s.cwd, 'migrations/R__v.sql'), 'create or replace view v as select id, 1 as one from a;\n')
    const adopt = await s.json('adopt', 'flyway')
    assert.is(adopt.code, 0, adopt.stderr)
    assert.equal(await versions(s), ['1000000', '1001000'])
    assert.match(JSON.stringify(adopt.doc.skipped), /a JDBC migration/)
    assert.is(adopt.doc.enforceFrom, '1.1.1')
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 0, migrate.stderr)
    assert.match(migrate.stdout, /applied\s+migrations\/R__v\.sql/)
    assert.is((await s.cli('verify')).code, 0)
  } finally {
    await s.dispose()
  }
})

test('adopt flyway: a versioned file edited since Flyway applied it stops adoption, naming it', async () => {
  const s = await scenario(FLYWAY)
  try {
    await flywayDeploy(s, FLYWAY)
    writeFileSync(join(s.cwd, 'migrations/V1.1__b.sql'), 'create table b (id int, note text);\n')
    const adopt = await s.cli('adopt', 'flyway')
    assert.is(adopt.code, 1)
    assert.match(adopt.stderr, /V1\.1__b\.sql was edited after flyway applied it/)
    assert.equal(await versions(s), [])
  } finally {
    await s.dispose()
  }
})

test.run()
