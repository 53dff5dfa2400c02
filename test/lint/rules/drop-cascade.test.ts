import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'drop-cascade'

test('reports CASCADE on drops, dropped columns and constraints, and TRUNCATE', async () => {
  const file = sql(
    'DROP VIEW IF EXISTS jobs_view CASCADE;',
    'DROP FUNCTION IF EXISTS touch() CASCADE;',
    'ALTER TABLE users DROP COLUMN email CASCADE;',
    'ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE;',
    'TRUNCATE accounts CASCADE;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1', '5:1'])
})

test('does not report RESTRICT or the default, or cascading over objects the file created', async () => {
  const file = sql(
    'DROP VIEW IF EXISTS jobs_view;',
    'DROP FUNCTION IF EXISTS touch() RESTRICT;',
    'ALTER TABLE users DROP COLUMN email;',
    'CREATE OR REPLACE VIEW tmp_view AS SELECT 1;',
    'DROP VIEW tmp_view CASCADE;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
