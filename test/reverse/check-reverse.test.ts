// check-reverse checks every down file, reports each as exact, wrong or unfinished, and goes on after one that is
// not exact from the schema the history builds; it treats an empty down file as strata down does.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkReverse, type CheckReverseResult } from '../../src/index.js'
import { checksum } from '../../src/runner/file-format.js'
import { freshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'

async function check(cwd: string): Promise<CheckReverseResult> {
  const db = await freshDatabase()
  try {
    return await checkReverse({ cwd, url: db.url })
  } finally {
    await db.drop()
  }
}

const statuses = (r: CheckReverseResult) => r.files.map((f) => `${f.path.split('/').pop()}:${f.status}`)

test('every down file is checked and reported: a wrong one does not hide the ones before it', async () => {
  const cwd = project({
    'migrations/001_a.sql': 'CREATE TABLE a (id int);',
    'migrations/001_a.down.sql': 'DROP TABLE a;',
    'migrations/002_b.sql': 'CREATE TABLE b (id int); CREATE INDEX b_id ON b (id);',
    'migrations/002_b.down.sql': 'DROP INDEX b_id;', // leaves table b behind
    'migrations/003_c.sql': 'CREATE TABLE c (id int); UPDATE a SET id = 1 WHERE id = 0;', // its stub is unfinished
    'migrations/004_d.sql': 'CREATE VIEW d AS SELECT 1 AS one;',
    'migrations/004_d.down.sql': 'DROP VIEW d;',
  })
  const result = await check(cwd)
  assert.equal(statuses(result), ['001_a.sql:exact', '002_b.sql:wrong', '003_c.sql:unfinished', '004_d.sql:exact'])
  assert.is(result.wrong, 1)
  assert.is(result.unfinished, 1)
  assert.not.ok(result.ok)
  const wrong = result.files[1]!
  assert.match(wrong.message!, 'migrations/002_b.down.sql does not restore the schema from before migrations/002_b.sql')
  assert.ok(
    wrong.differences.some((d) => d.object === 'table public.b'),
    JSON.stringify(wrong.differences),
  )
  assert.match(result.files[2]!.message!, /cannot reverse migrations\/003_c\.sql:1 \(UPDATE\)/)
  assert.equal(result.failure?.path, 'migrations/002_b.sql')
})

test('a down file that leaves the schema broken beyond repair: the history is replayed elsewhere and the later files are still checked', async () => {
  const cwd = project({
    'migrations/001_a.sql': 'CREATE TABLE a (id int);',
    'migrations/001_a.down.sql': 'DROP TABLE a; CREATE TABLE z (id int);', // leaves z behind, which applying 001 again keeps
    'migrations/002_b.sql': 'CREATE TABLE b (id int);',
    'migrations/002_b.down.sql': 'DROP TABLE b; DROP TABLE a;', // a is gone and the up file cannot bring it back
    'migrations/003_c.sql': 'ALTER TABLE a ADD COLUMN c int;',
    'migrations/003_c.down.sql': 'ALTER TABLE a DROP COLUMN c;',
  })
  const result = await check(cwd)
  assert.equal(statuses(result), ['001_a.sql:wrong', '002_b.sql:wrong', '003_c.sql:exact'])
  assert.is(result.wrong, 2)
})

test('an empty down file is unfinished, as strata down refuses it; a stub for another up file is wrong, as strata down refuses it', async () => {
  const up = 'CREATE TABLE a (id int);'
  const cwd = project({
    'migrations/001_a.sql': up,
    'migrations/001_a.down.sql': '-- nothing yet\n',
    'migrations/002_noop.sql': 'SELECT 1;',
    'migrations/002_noop.down.sql': `-- strata:reverses 002_noop.sql sha256:${checksum('SELECT 1;')}\n-- nothing to undo\n`,
    'migrations/003_b.sql': 'CREATE TABLE b (id int);',
    'migrations/003_b.down.sql': `-- strata:reverses 003_b.sql sha256:${checksum('CREATE TABLE b (x int);')}\nDROP TABLE b;\n`,
  })
  const result = await check(cwd)
  assert.equal(statuses(result), ['001_a.sql:unfinished', '002_noop.sql:exact', '003_b.sql:wrong'])
  assert.match(result.files[0]!.message!, 'has no statements, so nothing would be undone')
  assert.match(result.files[2]!.message!, 'changed since this down file was written')
  assert.match(result.files[2]!.message!, 'strata down refuses it')
})

test('the command prints each file and exits 1 when a down file is wrong, 0 when the others are only unfinished', async () => {
  const db = await freshDatabase()
  try {
    const cwd = project({
      'migrations/001_a.sql': 'CREATE TABLE a (id int);',
      'migrations/002_b.sql': 'UPDATE a SET id = 2 WHERE id = 1;',
    })
    const unfinished = await strata(['check-reverse', '--scratch-url', db.url], { cwd })
    assert.is(unfinished.code, 0, unfinished.stderr)
    assert.match(unfinished.stdout, /exact +migrations\/001_a\.down\.sql/)
    assert.match(unfinished.stdout, /unfinished +migrations\/002_b\.down\.sql/)
    assert.match(unfinished.stdout, '1 exact, 0 wrong, 1 unfinished')
    writeFileSync(join(cwd, 'migrations/001_a.down.sql'), 'SELECT 1;')
    await db.sql.unsafe('drop schema public cascade; create schema public')
    const wrong = await strata(['check-reverse', '--scratch-url', db.url], { cwd })
    assert.is(wrong.code, 1, wrong.stdout + wrong.stderr)
    assert.match(wrong.stdout, /wrong +migrations\/001_a\.down\.sql: migrations\/001_a\.down\.sql does not restore the schema/)
    assert.match(wrong.stdout, '0 exact, 1 wrong, 1 unfinished')
  } finally {
    await db.drop()
  }
})

test('strata down refuses the same empty down file check-reverse calls unfinished, and runs a stub that has nothing to undo', async () => {
  const db = await freshDatabase()
  try {
    const cwd = project({
      'migrations/001_noop.sql': 'SELECT 1;',
      'migrations/001_noop.down.sql': `-- strata:reverses 001_noop.sql sha256:${checksum('SELECT 1;')}\n-- nothing to undo\n`,
      'migrations/002_a.sql': 'CREATE TABLE IF NOT EXISTS a (id int);',
      'migrations/002_a.down.sql': '-- nothing yet\n',
    })
    const env = { DATABASE_URL: db.url }
    const migrated = await strata(['migrate'], { cwd, env })
    assert.is(migrated.code, 0, migrated.stderr)
    const refused = await strata(['down', '--yes'], { cwd, env })
    assert.is(refused.code, 1)
    assert.match(refused.stderr, 'its down file migrations/002_a.down.sql has no statements, so nothing would be undone')
    writeFileSync(join(cwd, 'migrations/002_a.down.sql'), 'DROP TABLE IF EXISTS a;')
    const down = await strata(['down', '--to', '0', '--yes'], { cwd, env })
    assert.is(down.code, 0, down.stderr)
    assert.match(down.stdout, /001_noop/)
  } finally {
    await db.drop()
  }
})

test('a down file that leaves behind a comment, storage option, owner, default privilege, statistics target, view option, replica identity, forced RLS, column grant or matview index is wrong, naming it', async () => {
  const role = 'strata_check_reverse_role'
  // Each up file changes one thing its down file forgets; the up files apply again over what was left behind.
  // (The column grant comes before the owner change: the owner's own privileges are implicit, not a grant.)
  const forgets: [string, string, string][] = [
    ['comment', "COMMENT ON TABLE t IS 'the things';", 'comment on table public.t'],
    ['column_grant', `GRANT UPDATE (n) ON t TO ${role};`, `grant column public.t.n to ${role}`],
    ['storage', 'ALTER TABLE t SET (fillfactor = 70);', 'table public.t'],
    ['owner', `ALTER TABLE t OWNER TO ${role};`, 'owner table public.t'],
    [
      'defaults',
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${role};`,
      `default privileges in schema public on tables to ${role}`,
    ],
    ['statistics', 'ALTER TABLE t ALTER COLUMN n SET STATISTICS 300;', 'column public.t.n'],
    ['view_options', 'ALTER VIEW v SET (security_invoker = true);', 'view public.v'],
    ['replica', 'ALTER TABLE t REPLICA IDENTITY FULL;', 'table public.t'],
    ['forced_rls', 'ALTER TABLE t FORCE ROW LEVEL SECURITY;', 'row level security public.t'],
    ['matview_index', 'CREATE INDEX IF NOT EXISTS m_id ON m (id);', 'index public.m_id'],
  ]
  const files: Record<string, string> = {
    'migrations/001_base.sql': `DO $$ BEGIN CREATE ROLE ${role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
      CREATE TABLE t (id int PRIMARY KEY, n int);
      CREATE VIEW v AS SELECT id FROM t;
      CREATE MATERIALIZED VIEW m AS SELECT id FROM t;`,
  }
  forgets.forEach(([name, up], i) => {
    const file = `migrations/${String(i + 2).padStart(3, '0')}_${name}`
    files[`${file}.sql`] = up
    files[`${file}.down.sql`] = 'SELECT 1; -- forgets to undo it\n'
  })
  const db = await freshDatabase()
  let result: CheckReverseResult
  try {
    result = await checkReverse({ cwd: project(files), url: db.url, to: 1 })
  } finally {
    await db.drop()
  }
  assert.equal(
    result.files.map((f) => f.status),
    forgets.map(() => 'wrong'),
    JSON.stringify(result.files.map((f) => [f.path, f.status, f.message])),
  )
  forgets.forEach(([name, , object], i) => {
    const objects = result.files[i]!.differences.map((d) => d.object)
    assert.ok(objects.includes(object), `${name}: ${object} not among ${JSON.stringify(objects)}`)
  })
})

test.run()
