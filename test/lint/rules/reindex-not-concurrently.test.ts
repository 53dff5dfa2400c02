import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'reindex-not-concurrently'

test('reports REINDEX of a table, an index, a schema or a database without CONCURRENTLY', async () => {
  const file = sql('REINDEX TABLE foo;', 'REINDEX INDEX foo_idx;', 'REINDEX SCHEMA app;', 'REINDEX DATABASE app;')
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1'])
})

test('accepts CONCURRENTLY in both spellings, REINDEX SYSTEM, and what the file created', async () => {
  const file = sql(
    '-- strata:no-transaction',
    'REINDEX TABLE CONCURRENTLY foo;',
    'REINDEX (CONCURRENTLY) INDEX foo_idx;',
    'REINDEX SYSTEM app;',
    'CREATE TABLE IF NOT EXISTS t (a int);',
    'CREATE INDEX IF NOT EXISTS t_a ON t (a);',
    'REINDEX TABLE t;',
    'REINDEX INDEX t_a;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
