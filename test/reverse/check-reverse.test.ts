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

test.run()
