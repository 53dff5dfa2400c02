import { test } from 'uvu'
import * as assert from 'uvu/assert'
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

test.run()
