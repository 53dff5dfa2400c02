import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, sql } from './support.js'

const rules = async (text: string) => (await findingsFor(text)).map((f) => `${f.line}:${f.rule}`)

test('-- strata:ignore right above a statement silences the named rules for that statement only', async () => {
  const file = sql('-- strata:ignore drop-table, require-if-exists', 'DROP TABLE users;', 'DROP TABLE sessions;')
  assert.equal(await rules(file), ['3:require-if-exists', '3:drop-table'])
})

test('several comment lines above the statement all count; a blank line breaks the link, and says so', async () => {
  const file = sql(
    '-- strata:ignore drop-table',
    '-- the users table moved to the auth service',
    'DROP TABLE IF EXISTS users;',
    '-- strata:ignore drop-table',
    '',
    'DROP TABLE IF EXISTS sessions;',
  )
  assert.equal(await rules(file), ['4:unattached-ignore', '6:drop-table'])
})

test('a directive in a string is not one; a directive inside a statement does not reach the next one, and says so', async () => {
  const file = sql("SELECT '-- strata:ignore truncate'", '-- strata:ignore drop-table', ';', 'TRUNCATE t;')
  assert.equal(await rules(file), ['2:unattached-ignore', '4:truncate'])
})

test('a strata:ignore after code on its line, or in a /* */ comment, is reported and ignores nothing', async () => {
  const file = sql(
    'TRUNCATE a; -- strata:ignore truncate',
    '/* strata:ignore truncate */',
    'TRUNCATE b;',
    '/*',
    '  strata:ignore truncate',
    '*/',
    'TRUNCATE c;',
  )
  const findings = await findingsFor(file)
  assert.equal(
    findings.map((f) => `${f.line}:${f.column}:${f.rule}`),
    ['1:1:truncate', '1:16:unattached-ignore', '2:4:unattached-ignore', '3:1:truncate', '5:3:unattached-ignore', '7:1:truncate'],
  )
  assert.match(findings[1]!.message, /not on a comment line of its own/)
})

test('a directive at the end of the file, or before a blank line, is reported; an attached one is not', async () => {
  const file = sql('-- strata:ignore truncate', 'TRUNCATE a;', '-- strata:ignore drop-table')
  assert.equal(await rules(file), ['3:unattached-ignore'])
})

test('inside a DO block, a directive right above the inner statement silences it; one above nothing is reported', async () => {
  const file = sql(
    'DO $$',
    'BEGIN',
    '  -- strata:ignore update-without-where -- every row on purpose',
    '  UPDATE accounts SET plan = 1;',
    '  UPDATE accounts SET tier = 2; -- strata:ignore update-without-where',
    '  -- strata:ignore update-without-where',
    '',
    'END $$;',
  )
  assert.equal(await rules(file), ['5:update-without-where', '5:unattached-ignore', '6:unattached-ignore'])
})

test('-- strata:ignore-file silences a rule anywhere in the file, wherever it is written', async () => {
  const file = sql('DROP TABLE IF EXISTS users;', 'TRUNCATE sessions;', '-- strata:ignore-file drop-table truncate')
  assert.equal(await rules(file), [])
})

test('severity comes from the config: off removes a rule, warning lowers an error', async () => {
  const file = sql('DROP TABLE IF EXISTS users;', 'CREATE SCHEMA app;')
  const findings = await findingsFor(file, { rules: { 'drop-table': 'off', 'require-if-not-exists': 'warning' } })
  assert.equal(
    findings.map((f) => [f.line, f.rule, f.severity]),
    [[2, 'require-if-not-exists', 'warning']],
  )
})

test('every finding carries its category', async () => {
  const findings = await findingsFor(sql('BEGIN;', 'DROP TABLE users;', 'CREATE INDEX CONCURRENTLY i ON t (a);', 'COMMIT;'))
  assert.equal(
    findings.map((f) => `${f.rule}:${f.category}`),
    [
      'explicit-transaction-control:transaction',
      'require-if-exists:idempotency',
      'drop-table:destructive',
      'require-if-not-exists:idempotency',
      'nontransactional-statement:transaction',
      'explicit-transaction-control:transaction',
    ],
  )
})

test('statement positions count characters after non-ASCII text, and span the statement', async () => {
  const file = sql('-- Ünïcode: 😀 «données»', "INSERT INTO t VALUES ('é'); DROP TABLE IF EXISTS users;")
  const drop = (await findingsFor(file)).find((f) => f.rule === 'drop-table')!
  assert.equal([drop.line, drop.column, drop.endLine, drop.endColumn], [2, 29, 2, 55])
})

test.run()
