import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'drop-not-null'

test('reports DROP NOT NULL on an existing table', async () => {
  assert.equal(await hits(rule, 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;'), ['1:1'])
})

test('accepts SET NOT NULL, new tables, and down files', async () => {
  const file = sql(
    'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    'CREATE TABLE IF NOT EXISTS t (a int NOT NULL);',
    'ALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
  )
  assert.equal(await hits(rule, file, { rules: { 'set-not-null': 'off' } }), [])
  assert.equal(await hits(rule, 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;', { path: 'migrations/003_x.down.sql' }), [])
})

test.run()
