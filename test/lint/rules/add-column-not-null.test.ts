import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'add-column-not-null'

test('reports a NOT NULL (or PRIMARY KEY) column without a default added to an existing table, at the column', async () => {
  const file = sql('ALTER TABLE recipe ADD COLUMN public boolean NOT NULL;', 'ALTER TABLE t ADD COLUMN id int PRIMARY KEY;')
  assert.equal(await hits(rule, file), ['1:31', '2:26'])
})

test('accepts a default, identity, generated and serial columns, nullable columns, and new tables', async () => {
  const file = sql(
    'ALTER TABLE recipe ADD COLUMN public boolean NOT NULL DEFAULT true;',
    'ALTER TABLE recipe ADD COLUMN n int NOT NULL GENERATED ALWAYS AS IDENTITY;',
    'ALTER TABLE recipe ADD COLUMN d numeric GENERATED ALWAYS AS (a + b) STORED NOT NULL;',
    'ALTER TABLE recipe ADD COLUMN s bigserial NOT NULL;',
    'ALTER TABLE recipe ADD COLUMN note text;',
    'CREATE TABLE IF NOT EXISTS t (a int);',
    'ALTER TABLE t ADD COLUMN b int NOT NULL;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
