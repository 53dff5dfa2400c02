// strata lint --fix: idempotency findings rewritten in the file's own text; a fixed file applies twice to the same
// schema (real Prisma and Supabase output from the corpus); applied files are never rewritten.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fixSources, unifiedDiff } from '../../src/lint/fix.js'
import { runWhole } from '../../src/runner/execute.js'
import { diffSnapshots, formatDifferences, snapshotSchema } from '../../src/schema/index.js'
import { connect } from '../../src/db/connect.js'
import { freshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'
import { CORPUS, corpusMissing, testUnless } from '../support/skip.js'
import { sql } from './support.js'

async function fix(text: string) {
  const [file] = await fixSources([{ path: 'migrations/009_new.sql', content: text }])
  return file!
}

test('IF NOT EXISTS, IF EXISTS and OR REPLACE go where Postgres takes them; comments, case and spacing stay', async () => {
  const file = await fix(
    sql(
      '-- the accounts',
      'create table  "Account" ( -- keep me',
      '  id int',
      ');',
      'CREATE UNIQUE INDEX CONCURRENTLY account_id ON "Account" (id);',
      'CREATE INDEX ON "Account" (id);',
      'ALTER TABLE "Account" ADD COLUMN   note text, ADD flags int, DROP COLUMN old, DROP CONSTRAINT "Account_old_key";',
      "ALTER TYPE mood ADD VALUE 'meh';",
      'CREATE SCHEMA app; CREATE SEQUENCE app.s; CREATE EXTENSION pgcrypto;',
      'DROP TABLE a, b; DROP MATERIALIZED VIEW app.m; DROP INDEX CONCURRENTLY account_old; DROP ROLE r;',
      'CREATE VIEW v AS SELECT 1; CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    ),
  )
  assert.is(
    file.fixed,
    sql(
      '-- the accounts',
      'create table  IF NOT EXISTS "Account" ( -- keep me',
      '  id int',
      ');',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS account_id ON "Account" (id);',
      'CREATE INDEX IF NOT EXISTS "Account_id_idx" ON "Account" (id);',
      'ALTER TABLE "Account" ADD COLUMN   IF NOT EXISTS note text, ADD COLUMN IF NOT EXISTS flags int, DROP COLUMN IF EXISTS old, DROP CONSTRAINT IF EXISTS "Account_old_key";',
      "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';",
      'CREATE SCHEMA IF NOT EXISTS app; CREATE SEQUENCE IF NOT EXISTS app.s; CREATE EXTENSION IF NOT EXISTS pgcrypto;',
      'DROP TABLE IF EXISTS a, b; DROP MATERIALIZED VIEW IF EXISTS app.m; DROP INDEX CONCURRENTLY IF EXISTS account_old; DROP ROLE IF EXISTS r;',
      'CREATE OR REPLACE VIEW v AS SELECT 1; CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    ),
  )
  assert.equal(file.unfixed, [])
  assert.equal(
    file.changes.slice(0, 3).map((c) => `${c.line}:${c.column} ${c.rule} ${c.description}`),
    [
      '2:15 require-if-not-exists CREATE TABLE -> CREATE TABLE IF NOT EXISTS',
      '5:34 require-if-not-exists CREATE INDEX -> CREATE INDEX IF NOT EXISTS',
      '6:14 require-if-not-exists CREATE INDEX -> CREATE INDEX IF NOT EXISTS "Account_id_idx" (the name Postgres gives it)',
    ],
  )
})

test('policies and triggers get a DROP ... IF EXISTS before them; types, domains, roles and constraints a guarding DO block', async () => {
  const file = await fix(
    sql(
      '  CREATE POLICY "Own rows" ON notes USING (owner = auth.uid());',
      'CREATE TRIGGER touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();',
      "CREATE TYPE mood AS ENUM ('ok', 'meh');",
      'ALTER TABLE notes ADD CONSTRAINT notes_owner_fkey FOREIGN KEY (owner) REFERENCES users (id);',
      'ALTER TABLE notes ADD CONSTRAINT a CHECK (x > 0), ADD PRIMARY KEY (id);',
    ),
  )
  assert.is(
    file.fixed,
    sql(
      '  DROP POLICY IF EXISTS "Own rows" ON notes;',
      '  CREATE POLICY "Own rows" ON notes USING (owner = auth.uid());',
      'DROP TRIGGER IF EXISTS touch ON notes;',
      'CREATE TRIGGER touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();',
      'DO $$',
      'BEGIN',
      "  CREATE TYPE mood AS ENUM ('ok', 'meh');",
      'EXCEPTION WHEN duplicate_object THEN NULL;',
      'END $$;',
      'DO $$',
      'BEGIN',
      "  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'notes_owner_fkey' AND conrelid = 'notes'::regclass) THEN",
      '    ALTER TABLE notes ADD CONSTRAINT notes_owner_fkey FOREIGN KEY (owner) REFERENCES users (id);',
      '  END IF;',
      'END $$;',
      'DO $$',
      'BEGIN',
      '  ALTER TABLE notes ADD CONSTRAINT a CHECK (x > 0), ADD PRIMARY KEY (id);',
      'EXCEPTION WHEN duplicate_object OR duplicate_table OR invalid_table_definition THEN NULL;',
      'END $$;',
    ),
  )
  assert.equal(file.unfixed, [])
})

test('what is not mechanical is left as it is and reported: an INSERT without a conflict target, an unnamed expression index', async () => {
  const file = await fix(sql("INSERT INTO settings VALUES ('theme');", 'CREATE INDEX ON t (lower(name));', 'CREATE TABLE t (id int);'))
  assert.match(file.fixed, 'CREATE TABLE IF NOT EXISTS t')
  assert.match(file.fixed, 'CREATE INDEX ON t (lower(name));')
  assert.equal(
    file.unfixed.map((f) => `${f.line}:${f.rule}`),
    ['1:insert-without-on-conflict', '2:require-if-not-exists'],
  )
})

test('a rewrite that would not parse is never kept: the file stays as it is, its findings reported', async () => {
  // DROP PROCEDURAL LANGUAGE takes IF EXISTS after LANGUAGE, which the rewrite does not know.
  const text = 'DROP PROCEDURAL LANGUAGE plperl;\nCREATE TABLE t (id int);\n'
  const file = await fix(text)
  assert.is(file.fixed, text)
  assert.equal(file.changes, [])
  assert.equal(
    file.unfixed.map((f) => f.rule),
    ['require-if-exists', 'require-if-not-exists'],
  )
})

test('a CRLF file stays CRLF; the diff shows removed lines before added ones', async () => {
  const file = await fix("CREATE TYPE mood AS ENUM ('ok');\r\nCREATE TABLE t (id int);\r\n")
  assert.not.match(file.fixed.replace(/\r\n/g, ''), '\n')
  const diff = unifiedDiff('m.sql', 'a\nCREATE TABLE t (id int);\nb\n', 'a\nCREATE TABLE IF NOT EXISTS t (id int);\nb\n')
  assert.is(
    diff,
    '--- a/m.sql\n+++ b/m.sql\n@@ -1,4 +1,4 @@\n a\n-CREATE TABLE t (id int);\n+CREATE TABLE IF NOT EXISTS t (id int);\n b\n \n',
  )
})

test('the CLI: --dry-run writes nothing; without a database, files committed at HEAD are left alone; outside git it refuses', async () => {
  const cwd = project({ 'migrations/001_old.sql': 'CREATE TABLE a (id int);\n', 'migrations/002_new.sql': 'CREATE TABLE b (id int);\n' })
  const outside = await strata(['lint', '--fix'], { cwd })
  assert.is(outside.code, 2, outside.stderr)
  assert.match(outside.stderr, 'lint --fix will not rewrite files without knowing which are applied')
  const dry = await strata(['lint', '--fix', '--dry-run'], { cwd })
  assert.match(dry.stdout, 'would fix  migrations/002_new.sql (1 change)')
  assert.match(dry.stdout, '+CREATE TABLE IF NOT EXISTS b (id int);')
  assert.is(readFileSync(join(cwd, 'migrations/002_new.sql'), 'utf8'), 'CREATE TABLE b (id int);\n')
  const git = (...args: string[]) => execFileSync('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args])
  git('init', '-q')
  git('add', 'migrations/001_old.sql')
  git('commit', '-qm', 'old')
  const fixed = await strata(['lint', '--fix'], { cwd })
  assert.is(fixed.code, 1, fixed.stdout + fixed.stderr) // the committed file keeps its finding
  assert.match(fixed.stdout, 'not fixed  migrations/001_old.sql: it is committed at HEAD')
  assert.is(readFileSync(join(cwd, 'migrations/001_old.sql'), 'utf8'), 'CREATE TABLE a (id int);\n')
  assert.is(readFileSync(join(cwd, 'migrations/002_new.sql'), 'utf8'), 'CREATE TABLE IF NOT EXISTS b (id int);\n')
})

test('the CLI with a database: a version in its ledger is never rewritten, the others are', async () => {
  const db = await freshDatabase()
  try {
    const cwd = project({ 'migrations/001_old.sql': 'CREATE TABLE a (id int);\n' })
    const env = { DATABASE_URL: db.url }
    const migrated = await strata(['migrate', '--rule', 'require-if-not-exists=off'], { cwd, env })
    assert.is(migrated.code, 0, migrated.stderr)
    writeFileSync(join(cwd, 'migrations/002_new.sql'), 'CREATE TABLE b (id int);\n')
    const fixed = await strata(['lint', '--fix', '--json'], { cwd, env })
    const report = JSON.parse(fixed.stdout)
    assert.equal(
      report.fixes.map((f: { path: string; status: string }) => `${f.path}:${f.status}`),
      ['migrations/001_old.sql:refused', 'migrations/002_new.sql:fixed'],
    )
    assert.match(report.fixes[0].reason, 'version 1 is applied in the ledger of')
    assert.is(readFileSync(join(cwd, 'migrations/001_old.sql'), 'utf8'), 'CREATE TABLE a (id int);\n')
    assert.is(readFileSync(join(cwd, 'migrations/002_new.sql'), 'utf8'), 'CREATE TABLE IF NOT EXISTS b (id int);\n')
    const applied = await strata(['migrate'], { cwd, env })
    assert.is(applied.code, 0, applied.stderr)
  } finally {
    await db.drop()
  }
})

test("another tool's history: a goose file's section is not rewritten; a Flyway file applied under its own version is refused", async () => {
  const goose = project({ 'migrations/001_users.sql': '-- +goose Up\nCREATE TABLE users (id int);\n\n-- +goose Down\nDROP TABLE users;\n' })
  const before = readFileSync(join(goose, 'migrations/001_users.sql'), 'utf8')
  const dry = await strata(['lint', '--fix', '--dry-run', '--json'], { cwd: goose })
  const report = JSON.parse(dry.stdout)
  assert.equal(
    report.fixes
      .filter((f: { status: string }) => f.status !== 'unchanged')
      .map((f: { path: string; status: string }) => `${f.path}:${f.status}`),
    ['migrations/001_users.sql:refused', 'migrations/001_users.sql (Down section):refused'],
  )
  for (const fix of report.fixes) assert.match(fix.reason, 'only a section of it')
  // The Down section is still linted as a down file: dropping there is its point, not a finding.
  assert.not.ok(
    report.findings.some((f: { rule: string }) => f.rule === 'drop-table'),
    JSON.stringify(report.findings.map((f: { file: string; rule: string }) => `${f.file} ${f.rule}`)),
  )
  assert.is(readFileSync(join(goose, 'migrations/001_users.sql'), 'utf8'), before, 'the Down section is still there')

  const db = await freshDatabase()
  try {
    const cwd = project({ 'db/migration/V1__accounts.sql': 'CREATE TABLE accounts (id int);\n' })
    const env = { DATABASE_URL: db.url }
    const args = ['--dir', 'db/migration', '--layout', 'flyway']
    const migrated = await strata(['migrate', ...args, '--rule', 'require-if-not-exists=off'], { cwd, env })
    assert.is(migrated.code, 0, migrated.stderr)
    const fixed = await strata(['lint', '--fix', '--json', ...args], { cwd, env })
    const fixes = JSON.parse(fixed.stdout).fixes
    assert.equal(
      fixes.map((f: { status: string }) => f.status),
      ['refused'],
      fixed.stdout + fixed.stderr,
    )
    assert.is(readFileSync(join(cwd, 'db/migration/V1__accounts.sql'), 'utf8'), 'CREATE TABLE accounts (id int);\n')
  } finally {
    await db.drop()
  }
})

// Real output of other tools, read in place from ../shared/corpus and never copied into this repository.
const it = testUnless(corpusMissing)

interface History {
  name: string
  folder: string
  files: (dir: string) => string[]
  count: number
  /** At least this many fixed files must have changed and be applied twice. */
  atLeast: number
  setup?: string
}

const HISTORIES: History[] = [
  {
    name: 'Prisma (trigger.dev, `prisma migrate dev` output)',
    folder: 'triggerdotdev__trigger.dev/internal-packages/database/prisma/migrations',
    files: (dir) =>
      readdirSync(dir)
        .sort()
        .map((d) => join(dir, d, 'migration.sql')),
    count: 12,
    atLeast: 8,
  },
  {
    name: 'Supabase (basejump, supabase/migrations)',
    folder: 'usebasejump__basejump/supabase/migrations',
    files: (dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => join(dir, f)),
    count: 4,
    atLeast: 3,
    setup: 'supabase_stub.sql',
  },
]

for (const history of HISTORIES) {
  it(`${history.name}: every fixed file applies, then applies again to the same schema`, async () => {
    const paths = history.files(join(CORPUS, history.folder)).slice(0, history.count)
    const fixed = await fixSources(paths.map((path) => ({ path, content: readFileSync(path, 'utf8') })))
    assert.ok(fixed.filter((f) => f.changes.length).length >= history.atLeast, 'most files had something to fix')
    const db = await freshDatabase()
    const sql = connect({ url: db.url })
    try {
      if (history.setup) await runWhole(sql, { path: history.setup, content: readFileSync(join(CORPUS, history.setup), 'utf8') })
      let checked = 0
      for (const file of fixed) {
        await runWhole(sql, { path: file.path, content: file.fixed })
        const once = await snapshotSchema(sql, { grants: true })
        // A file --fix could not make idempotent (a plain INSERT, a RENAME) is not expected to run twice.
        if (file.unfixed.length || /\bRENAME\b/i.test(file.fixed)) continue
        await runWhole(sql, { path: file.path, content: file.fixed })
        const differences = diffSnapshots(once, await snapshotSchema(sql, { grants: true }))
        assert.equal(differences, [], `${file.path} applied twice:\n${formatDifferences(differences)}`)
        checked++
      }
      assert.ok(checked >= history.atLeast, `only ${checked} files could be applied twice`)
      console.log(`  ${history.name}: ${checked} of ${fixed.length} fixed files applied twice to the same schema`)
    } finally {
      await sql.end()
      await db.drop()
    }
  })
}

test.run()
