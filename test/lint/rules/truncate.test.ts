import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'truncate'

test('reports TRUNCATE', async () => {
  assert.equal(await hits(rule, sql('SELECT 1;', '  TRUNCATE sessions, tokens;', 'TRUNCATE TABLE events RESTART IDENTITY;')), [
    '2:3',
    '3:1',
  ])
})

test('does not report truncating a table created in the same file, or DELETE with WHERE', async () => {
  const file = sql('CREATE TABLE staging (id int);', 'TRUNCATE staging;', 'DELETE FROM sessions WHERE expires_at < now();')
  assert.equal(await hits(rule, file), [])
})

test.run()
