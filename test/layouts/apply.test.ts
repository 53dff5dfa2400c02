// Histories of other tools applied by the strata CLI: sections, run modes, enforceFrom and repeatables, as a user
// sees them (exit codes, output, the ledger and the events).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LEDGER, scenario, type Scenario } from '../verify/helpers.js'

const pkg = (s: Scenario, strata: Record<string, string>) =>
  writeFileSync(join(s.cwd, 'package.json'), JSON.stringify({ name: 'app', strata }))
const exists = async (s: Scenario, relation: string) =>
  ((await s.sql(`select to_regclass('${relation}') is not null as ok`)) as { ok: boolean }[])[0].ok
const events = async (s: Scenario) =>
  (await s.sql(`select action, version::text, details->>'mode' as mode, details->>'why' as why from ${LEDGER}.events order by id`)) as {
    action: string
    version: string
    mode: string
    why: string | null
  }[]

test('a goose folder: the Up sections run, never the Down ones; strata down runs the Down section', async () => {
  const s = await scenario({
    '001_users.sql': '-- +goose Up\ncreate table users (id int);\n\n-- +goose Down\ndrop table users;\n',
    '002_idx.sql':
      '-- +goose NO TRANSACTION\n-- +goose Up\ncreate index concurrently users_id on users (id);\ncreate index concurrently users_id2 on users (id);\n-- +goose Down\ndrop index users_id;\n',
  })
  try {
    pkg(s, { enforceFrom: '3' })
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 0, migrate.stderr)
    assert.ok(await exists(s, 'users'), 'the Down section ran and dropped the table')
    assert.ok(await exists(s, 'users_id2'))
    assert.equal(
      (await events(s)).map((e) => e.mode),
      ['transaction', 'no-transaction'],
    )
    const down = await s.cli('down', '--to', '0', '--yes')
    assert.is(down.code, 0, down.stderr)
    assert.not.ok(await exists(s, 'users'))
  } finally {
    await s.dispose()
  }
})

test('check-reverse runs a goose history’s own Down sections, and finds the one that does not undo its Up', async () => {
  const s = await scenario({
    '001_users.sql': '-- +goose Up\ncreate table users (id int);\n-- +goose Down\ndrop table users;\n',
    '002_posts.sql': '-- +goose Up\ncreate table posts (id int);\ncreate table tags (id int);\n-- +goose Down\ndrop table posts;\n',
  })
  try {
    const check = await s.json('check-reverse', '--scratch-url', s.db.url)
    assert.is(check.code, 1)
    assert.equal(check.doc.failure.downPath, 'migrations/002_posts.sql (Down section)')
    assert.match(JSON.stringify(check.doc.failure.differences), /tags/)
    assert.equal(
      check.doc.files.map((f: { down: string; status: string }) => `${f.down}:${f.status}`),
      ['file:exact', 'file:wrong'],
    )
  } finally {
    await s.dispose()
  }
})

test('a lone CREATE INDEX CONCURRENTLY runs without a transaction by itself, lint agrees, and its event says why', async () => {
  const s = await scenario({
    '001_t.sql': 'create table if not exists t (a int);',
    '002_idx.sql': '-- for the report page\ncreate index concurrently if not exists t_a on t (a);\n',
  })
  try {
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 0, migrate.stderr)
    assert.not.match(migrate.stdout + migrate.stderr, /nontransactional-statement/)
    const last = (await events(s)).at(-1)!
    assert.equal([last.version, last.mode], ['2', 'no-transaction'])
    assert.match(String(last.why), /its only statement, CREATE INDEX CONCURRENTLY, cannot run in a transaction/)
  } finally {
    await s.dispose()
  }
})

test('a file of an adopted history with its own BEGIN … COMMIT runs as its tool ran it, with a warning', async () => {
  const s = await scenario({
    '001_enum.sql':
      "create type mood as enum ('a');\ncreate table t (m mood);\nbegin;\ncreate type mood_new as enum ('a', 'b');\nalter table t alter column m type mood_new using m::text::mood_new;\ndrop type mood;\nalter type mood_new rename to mood;\ncommit;\nalter table t add column n int;\n",
  })
  try {
    pkg(s, { enforceFrom: '2' })
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 0, migrate.stderr)
    assert.match(migrate.stderr + migrate.stdout, /adopted history: \d+ lint warning\(s\) in 1 file\(s\)/)
    assert.equal(
      (await events(s)).map((e) => e.mode),
      ['own-transaction'],
    )
    const labels = (await s.sql(`select enum_range(null::mood)::text as r`)) as { r: string }[]
    assert.is(labels[0].r, '{a,b}')
  } finally {
    await s.dispose()
  }
})

test('when such a file fails inside its transaction, that transaction is rolled back and the row says failed', async () => {
  const s = await scenario({
    '001_tx.sql': 'create table before_tx (id int);\nbegin;\ncreate table inside_tx (id int);\nselect 1/0;\ncommit;\n',
  })
  try {
    pkg(s, { enforceFrom: '2' })
    const migrate = await s.cli('migrate')
    assert.is(migrate.code, 1)
    assert.match(migrate.stderr, /division by zero/)
    assert.ok(await exists(s, 'before_tx'), 'what ran before its BEGIN stays, as psql leaves it')
    assert.not.ok(await exists(s, 'inside_tx'))
    const rows = (await s.sql(`select status from ${LEDGER}.migrations`)) as { status: string }[]
    assert.equal(
      rows.map((r) => r.status),
      ['failed'],
    )
  } finally {
    await s.dispose()
  }
})

test('enforceFrom: findings before it are warnings that never block; from it on, the full rules', async () => {
  const s = await scenario({
    '001_old.sql': 'create table old (id int);\ndrop table if exists legacy;\n',
    '002_new.sql': 'create table fresh (id int);\n',
  })
  try {
    pkg(s, { enforceFrom: '2' })
    const blocked = await s.cli('migrate')
    assert.is(blocked.code, 1)
    assert.match(blocked.stderr, /002_new\.sql:1:1\s+error\s+require-if-not-exists/)
    assert.not.match(blocked.stderr, /001_old\.sql:\d+:\d+\s+error/)
    writeFileSync(join(s.cwd, 'migrations/002_new.sql'), 'create table if not exists fresh (id int);\n')
    const applied = await s.cli('migrate')
    assert.is(applied.code, 0, applied.stderr)
    const lint = await s.cli('lint')
    assert.is(lint.code, 0, lint.stdout)
    assert.match(lint.stdout, /001_old\.sql:2:1\s+warning\s+drop-table/)
  } finally {
    await s.dispose()
  }
})

test('a Flyway repeatable runs after the versioned files, and again when it changes', async () => {
  const s = await scenario({
    'V1__t.sql': 'create table if not exists t (a int);',
    'V1.1__b.sql': 'alter table t add column if not exists b int;',
    'R__view.sql': 'create or replace view v as select a from t;',
  })
  try {
    const first = await s.cli('migrate', '--layout', 'flyway')
    assert.is(first.code, 0, first.stderr)
    assert.match(first.stdout, /V1\.1__b\.sql[\s\S]*R__view\.sql/)
    assert.match((await s.cli('migrate', '--layout', 'flyway')).stdout, /nothing to apply/)
    writeFileSync(join(s.cwd, 'migrations/R__view.sql'), 'create or replace view v as select a, b from t;')
    const status = await s.json('status', '--layout', 'flyway')
    assert.equal(
      status.doc.entries.map((e: { state: string }) => e.state),
      ['applied', 'applied', 'pending'],
    )
    const again = await s.cli('migrate', '--layout', 'flyway')
    assert.is(again.code, 0, again.stderr)
    const columns = (await s.sql(`select count(*)::int as n from information_schema.columns where table_name = 'v'`)) as { n: number }[]
    assert.is(columns[0].n, 2)
    const applies = (await events(s)).filter((e) => e.action === 'apply' && Number(e.version) < 0)
    assert.is(applies.length, 2)
    assert.is((await s.json('verify', '--layout', 'flyway')).code, 0)
  } finally {
    await s.dispose()
  }
})

test('package.json "strata.layout" is used by every command, and a wrong one is refused with exit 2', async () => {
  const s = await scenario({ '001_a.sql': '-- migrate:up\ncreate table if not exists a (id int);\n-- migrate:down\ndrop table a;\n' })
  try {
    pkg(s, { layout: 'dbmate' })
    assert.is((await s.cli('migrate')).code, 0)
    assert.ok(await exists(s, 'a'))
    pkg(s, { layout: 'liquibase' })
    const wrong = await s.cli('status')
    assert.is(wrong.code, 2)
    assert.match(wrong.stderr, /unknown layout "liquibase"/)
    assert.ok(readFileSync(join(s.cwd, 'package.json'), 'utf8'))
  } finally {
    await s.dispose()
  }
})

test.run()
