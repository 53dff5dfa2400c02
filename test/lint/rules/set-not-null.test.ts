import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runLint } from '../../../src/commands/lint.js'
import { project } from '../../support/project.js'
import { hits, sql } from '../support.js'

const rule = 'set-not-null'

test('reports SET NOT NULL on an existing table', async () => {
  assert.equal(await hits(rule, sql('ALTER TABLE users', '  ALTER COLUMN email SET NOT NULL;')), ['1:1'])
})

test('accepts DROP NOT NULL, NOT NULL in a new table, and tables created in the same file', async () => {
  const file = sql(
    'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;',
    'CREATE TABLE IF NOT EXISTS accounts (id int NOT NULL);',
    'ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;',
    'ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;',
  )
  assert.equal(await hits(rule, file), [])
})

test('no finding when a valid CHECK (col IS NOT NULL) proves it (PostgreSQL 12+ skips the scan)', async () => {
  const validatedHere = sql(
    'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;',
    'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_not_null;',
  )
  assert.equal(await hits(rule, validatedHere), [])
  const addedValid = sql(
    'ALTER TABLE users ADD CONSTRAINT email_present CHECK (email IS NOT NULL);',
    'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
  )
  assert.equal(await hits(rule, addedValid), [])
})

test('a check on another column, or one not validated yet, proves nothing', async () => {
  const otherColumn = sql(
    'ALTER TABLE foo ADD CONSTRAINT baz_not_null CHECK (baz IS NOT NULL) NOT VALID;',
    'ALTER TABLE foo VALIDATE CONSTRAINT baz_not_null;',
    'ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;',
  )
  assert.equal(await hits(rule, otherColumn), ['3:1'])
  const notValidated = sql(
    'ALTER TABLE foo ADD CONSTRAINT bar_not_null CHECK (bar IS NOT NULL) NOT VALID;',
    'ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;',
  )
  assert.equal(await hits(rule, notValidated), ['2:1'])
})

test('a CHECK made valid by an earlier file of the folder counts too; the cache notices when that file changes', async () => {
  const cwd = project({
    'migrations/001_check.sql': 'ALTER TABLE users ADD CONSTRAINT email_present CHECK (email IS NOT NULL) NOT VALID;',
    'migrations/002_validate.sql': 'ALTER TABLE users VALIDATE CONSTRAINT email_present;',
    'migrations/003_not_null.sql': 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
  })
  const setNotNull = async () =>
    (await runLint({ paths: [], dir: 'migrations', format: 'json', cwd })).findings.filter((f) => f.rule === rule).map((f) => f.file)
  assert.equal(await setNotNull(), [])
  assert.equal(await setNotNull(), []) // from the cache
  writeFileSync(join(cwd, 'migrations/002_validate.sql'), 'SELECT 1;')
  assert.equal(await setNotNull(), ['migrations/003_not_null.sql'])
  // Linting the one file still reads the folder it is in.
  writeFileSync(join(cwd, 'migrations/002_validate.sql'), 'ALTER TABLE users VALIDATE CONSTRAINT email_present;')
  const one = await runLint({ paths: ['migrations/003_not_null.sql'], format: 'json', cwd, cache: false })
  assert.equal(
    one.findings.filter((f) => f.rule === rule),
    [],
  )
})

test.run()
