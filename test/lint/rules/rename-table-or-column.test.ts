import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'rename-table-or-column'

test('reports renames of existing tables, views and columns, as warnings with the expand/contract advice', async () => {
  const file = sql(
    'ALTER TABLE users RENAME COLUMN email TO email_address;',
    'ALTER TABLE users RENAME TO accounts;',
    'ALTER VIEW active_users RENAME TO live_users;',
    'ALTER MATERIALIZED VIEW stats RENAME COLUMN n TO total;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1'])
  const [column] = await findingsFor(file)
  assert.is(column!.severity, 'warning')
  assert.match(column!.help, 'Expand and contract')
})

test('accepts renames of what the file created, of other objects, and in down files', async () => {
  const file = sql(
    'CREATE TABLE IF NOT EXISTS accounts_new (id int);',
    'ALTER TABLE accounts_new RENAME COLUMN id TO account_id;',
    'ALTER TABLE accounts_new RENAME TO accounts;',
    'ALTER INDEX users_email_idx RENAME TO users_email_key;',
    'ALTER TABLE users RENAME CONSTRAINT a TO b;',
  )
  assert.equal(await hits(rule, file), [])
  assert.equal(await hits(rule, 'ALTER TABLE accounts RENAME TO users;', { path: 'migrations/002_x.down.sql' }), [])
})

test.run()
