import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'nontransactional-statement'

test('reports statements that cannot run in a transaction block', async () => {
  const file = sql(
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);',
    'DROP INDEX CONCURRENTLY IF EXISTS users_name;',
    'REINDEX INDEX CONCURRENTLY users_email;',
    'VACUUM ANALYZE users;',
    "ALTER SYSTEM SET work_mem = '64MB';",
    'CREATE DATABASE analytics;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1', '5:1', '6:1'])
})

test('accepts them in a -- strata:no-transaction file', async () => {
  const file = sql(
    '-- strata:no-transaction',
    '-- build it without blocking writes',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);',
    'VACUUM users;',
  )
  assert.equal(await hits(rule, file), [])
})

test('the directive must come before the first statement', async () => {
  const file = sql('SELECT 1;', '-- strata:no-transaction', 'VACUUM users;')
  assert.equal(await hits(rule, file), ['3:1'])
})

test('accepts what does run in a transaction: ANALYZE, plain REINDEX, ALTER TYPE ... ADD VALUE (PostgreSQL 12+)', async () => {
  const file = sql(
    'ANALYZE users;',
    'REINDEX INDEX users_email;',
    "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad';",
    'CREATE INDEX IF NOT EXISTS a ON b (c);',
  )
  assert.equal(await hits(rule, file), [])
})

test('a lone statement that cannot run in a transaction is no finding: Strata runs it without one, as psql does', async () => {
  assert.equal(await hits(rule, sql('-- an index for the reports', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);')), [])
  assert.equal(await hits(rule, sql('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', 'SELECT 1;')), ['1:1'])
})

test.run()
