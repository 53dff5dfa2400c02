import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'update-without-where'

test('reports UPDATE without WHERE, also inside a WITH clause', async () => {
  const file = sql(
    "UPDATE users SET status = 'active';",
    'UPDATE orders SET total = t.sum FROM totals t;',
    'WITH moved AS (UPDATE jobs SET state = 0 RETURNING id) SELECT 1;',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:23'])
})

test('accepts UPDATE ... WHERE, and a backfill of a table created in the same file', async () => {
  const file = sql(
    "UPDATE users SET status = 'active' WHERE status IS NULL;",
    'UPDATE orders o SET total = t.sum FROM totals t WHERE t.order_id = o.id;',
    'CREATE TABLE scratch (id int, n int);',
    'UPDATE scratch SET n = 0;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
