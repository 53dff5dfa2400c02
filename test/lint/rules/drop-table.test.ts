import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'drop-table'

test('reports each dropped table, as a destructive error', async () => {
  const findings = await findingsFor(sql('SELECT 1;', 'DROP TABLE IF EXISTS users, public.sessions;'))
  const drops = findings.filter((f) => f.rule === rule)
  assert.equal(
    drops.map((f) => [f.line, f.column, f.severity, f.category]),
    [
      [2, 1, 'error', 'destructive'],
      [2, 1, 'error', 'destructive'],
    ],
  )
  assert.match(drops[0]!.message, /users/)
  assert.match(drops[1]!.message, /sessions/)
})

test('does not report dropping a table created earlier in the same file, or other objects', async () => {
  const file = sql(
    'CREATE TABLE users_new (id int);',
    'DROP TABLE users_new;',
    'DROP VIEW IF EXISTS users_view;',
    'DROP INDEX IF EXISTS users_id;',
    'DROP FOREIGN TABLE IF EXISTS remote_users;',
  )
  assert.equal(await hits(rule, file), [])
})

test('a down file may drop what its up file created', async () => {
  assert.equal(await hits(rule, 'DROP TABLE IF EXISTS users;', { path: 'migrations/001_users.down.sql' }), [])
})

test.run()
