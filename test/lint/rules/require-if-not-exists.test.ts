import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'require-if-not-exists'

test('reports creates that fail when the object exists', async () => {
  const file = sql(
    'CREATE TABLE users (id int);',
    'CREATE INDEX users_id ON users (id);',
    'CREATE SCHEMA app;',
    'CREATE SEQUENCE counter;',
    'CREATE EXTENSION pgcrypto;',
    'CREATE MATERIALIZED VIEW totals AS SELECT 1;',
    "ALTER TYPE mood ADD VALUE 'sad';",
    'ALTER TABLE users ADD COLUMN email text, ADD COLUMN name text;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1', '5:1', '6:1', '7:1', '8:30', '8:53'])
})

test('reports an unnamed index, which is added again on every run', async () => {
  assert.equal(await hits(rule, 'CREATE INDEX ON users (id);'), ['1:1'])
})

test('accepts IF NOT EXISTS forms', async () => {
  const file = sql(
    'CREATE TABLE IF NOT EXISTS users (id int);',
    'CREATE INDEX IF NOT EXISTS users_id ON users (id);',
    'CREATE SCHEMA IF NOT EXISTS app;',
    'CREATE SEQUENCE IF NOT EXISTS counter;',
    'CREATE EXTENSION IF NOT EXISTS pgcrypto;',
    'CREATE MATERIALIZED VIEW IF NOT EXISTS totals AS SELECT 1;',
    "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad';",
    'ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;',
  )
  assert.equal(await hits(rule, file), [])
})

test('accepts a create preceded by the matching DROP ... IF EXISTS', async () => {
  const file = sql(
    'DROP TABLE IF EXISTS users;',
    'CREATE TABLE users (id int);',
    'DROP INDEX IF EXISTS users_id;',
    'CREATE INDEX users_id ON users (id);',
    'ALTER TABLE accounts DROP COLUMN IF EXISTS email;',
    'ALTER TABLE accounts ADD COLUMN email text;',
    'DROP MATERIALIZED VIEW IF EXISTS totals;',
    'CREATE MATERIALIZED VIEW totals AS SELECT 1;',
  )
  assert.equal(await hits(rule, file), [])
})

test('a drop of a different object does not guard the create', async () => {
  const file = sql(
    'DROP TABLE IF EXISTS other;',
    'CREATE TABLE users (id int);',
    'DROP TABLE IF EXISTS billing.users;',
    'CREATE TABLE app.users (id int);',
  )
  assert.equal(await hits(rule, file), ['2:1', '4:1'])
})

test('renaming an enum value is not adding one', async () => {
  assert.equal(await hits(rule, "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';"), [])
})

test.run()
