import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, sql } from './support.js'

const rules = async (text: string) => (await findingsFor(text)).map((f) => `${f.line}:${f.rule}`)

test('-- strata:ignore right above a statement silences the named rules for that statement only', async () => {
  const file = sql('-- strata:ignore drop-table, require-if-exists', 'DROP TABLE users;', 'DROP TABLE sessions;')
  assert.equal(await rules(file), ['3:require-if-exists', '3:drop-table'])
})

test('several comment lines above the statement all count; a blank line breaks the link', async () => {
  const file = sql(
    '-- strata:ignore drop-table',
    '-- the users table moved to the auth service',
    'DROP TABLE IF EXISTS users;',
    '-- strata:ignore drop-table',
    '',
    'DROP TABLE IF EXISTS sessions;',
  )
  assert.equal(await rules(file), ['6:drop-table'])
})

test('a directive on a statement line or in a statement does not reach the next one', async () => {
  const file = sql("SELECT '-- strata:ignore truncate'", '-- strata:ignore drop-table', ';', 'TRUNCATE t;')
  assert.equal(await rules(file), ['4:truncate'])
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
