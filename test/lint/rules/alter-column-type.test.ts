import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'alter-column-type'

test('reports changing a column type', async () => {
  const file = sql(
    'ALTER TABLE users ALTER COLUMN age TYPE bigint;',
    'ALTER TABLE "Event" ALTER COLUMN "at" SET DATA TYPE timestamptz USING "at" AT TIME ZONE \'UTC\';',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1'])
})

test('does not report other column changes, or a table created in the same file', async () => {
  const file = sql(
    'ALTER TABLE users ALTER COLUMN age SET DEFAULT 0;',
    'ALTER TABLE users RENAME COLUMN age TO years;',
    'CREATE TABLE scratch (n int);',
    'ALTER TABLE scratch ALTER COLUMN n TYPE bigint;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
