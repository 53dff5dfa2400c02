import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'drop-index-not-concurrently'

test('reports DROP INDEX of an index the file did not create', async () => {
  assert.equal(await hits(rule, sql('DROP INDEX IF EXISTS users_email_idx;', 'DROP INDEX a, b;')), ['1:1', '2:1'])
})

test('accepts CONCURRENTLY, and an index the file created', async () => {
  const file = sql(
    '-- strata:no-transaction',
    'DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS tmp_idx ON users (email);',
    'DROP INDEX tmp_idx;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
