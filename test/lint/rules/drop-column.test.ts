import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'drop-column'

test('reports each dropped column', async () => {
  const file = sql('ALTER TABLE users DROP COLUMN email;', 'ALTER TABLE users DROP COLUMN IF EXISTS name, DROP COLUMN age;')
  assert.equal(await hits(rule, file), ['1:1', '2:1', '2:1'])
})

test('does not report other ALTER TABLE actions, or columns of a table created in the same file', async () => {
  const file = sql(
    'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key;',
    'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;',
    'ALTER TABLE users ALTER COLUMN email DROP DEFAULT;',
    'CREATE TABLE staging (id int, tmp int);',
    'ALTER TABLE staging DROP COLUMN tmp;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
