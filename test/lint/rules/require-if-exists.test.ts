import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'require-if-exists'

test('reports drops that fail when the object is missing', async () => {
  const file = sql(
    'DROP TABLE users;',
    'DROP INDEX users_email;',
    'DROP POLICY owner_only ON notes;',
    'DROP ROLE reporting;',
    'DROP FUNCTION touch();',
    'ALTER TABLE users DROP COLUMN email, DROP CONSTRAINT users_pkey;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1', '5:1', '6:1', '6:1'])
})

test('accepts IF EXISTS forms', async () => {
  const file = sql(
    'DROP TABLE IF EXISTS users;',
    'DROP INDEX IF EXISTS users_email;',
    'DROP POLICY IF EXISTS owner_only ON notes;',
    'DROP ROLE IF EXISTS reporting;',
    'DROP FUNCTION IF EXISTS touch();',
    'ALTER TABLE users DROP COLUMN IF EXISTS email, DROP CONSTRAINT IF EXISTS users_pkey;',
  )
  assert.equal(await hits(rule, file), [])
})

test('accepts dropping what the same file created earlier', async () => {
  const file = sql(
    'CREATE TABLE IF NOT EXISTS staging (id int);',
    'ALTER TABLE users ADD COLUMN IF NOT EXISTS tmp int;',
    'DROP TABLE staging;',
    'ALTER TABLE users DROP COLUMN tmp;',
  )
  assert.equal(await hits(rule, file), [])
})

test('a drop before the create is still reported', async () => {
  assert.equal(await hits(rule, sql('DROP TABLE staging;', 'CREATE TABLE IF NOT EXISTS staging (id int);')), ['1:1'])
})

test.run()
