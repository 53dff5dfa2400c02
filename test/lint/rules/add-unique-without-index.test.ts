import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'add-unique-without-index'

test('reports UNIQUE, PRIMARY KEY and EXCLUDE added to an existing table, as constraints or on a new column', async () => {
  const file = sql(
    'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
    'ALTER TABLE items ADD PRIMARY KEY (id);',
    'ALTER TABLE users ADD COLUMN handle text UNIQUE;',
    'ALTER TABLE a ADD COLUMN b serial PRIMARY KEY;',
    'ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
  )
  assert.equal(await hits(rule, file), ['1:23', '2:23', '3:42', '4:35', '5:26'])
})

test('the help says how: an index built concurrently, then USING INDEX; an EXCLUDE cannot', async () => {
  const [unique, exclude] = await findingsFor(
    sql('ALTER TABLE users ADD CONSTRAINT k UNIQUE (email);', 'ALTER TABLE b ADD CONSTRAINT x EXCLUDE USING gist (r WITH &&);'),
    { rules: { [rule]: 'error', 'unguarded-create': 'off' } },
  )
  assert.match(unique!.help, 'CREATE UNIQUE INDEX CONCURRENTLY')
  assert.match(unique!.help, 'USING INDEX')
  assert.match(exclude!.help, 'cannot use an existing index')
})

test('accepts USING INDEX, and tables the file created', async () => {
  const file = sql(
    'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;',
    'ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_pk_idx;',
    'CREATE TABLE IF NOT EXISTS products (id int, sku text);',
    'ALTER TABLE products ADD CONSTRAINT sku_key UNIQUE (sku), ADD PRIMARY KEY (id);',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
