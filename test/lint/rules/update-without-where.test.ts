import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

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

test('looks into DO blocks (also constant EXECUTE strings) and into functions the file creates and calls', async () => {
  const file = sql(
    'DO $$',
    'BEGIN',
    '  UPDATE accounts SET plan = 1;',
    "  EXECUTE 'UPDATE accounts SET tier = 2';",
    '  UPDATE accounts SET seen = true WHERE id = 1;',
    'END $$;',
    'CREATE OR REPLACE FUNCTION backfill() RETURNS void LANGUAGE plpgsql AS $$',
    'BEGIN',
    '  UPDATE orders SET total = 0;',
    'END $$;',
    'CREATE OR REPLACE PROCEDURE reset() LANGUAGE sql AS $$ UPDATE carts SET n = 0 $$;',
    'SELECT backfill();',
    'SELECT backfill();',
    'CALL reset();',
  )
  const findings = (await findingsFor(file)).filter((f) => f.rule === rule)
  assert.equal(
    findings.map((f) => `${f.line}:${f.column}`),
    ['3:3', '4:12', '9:3', '11:56'],
  )
  assert.match(findings[0]!.message, 'UPDATE accounts in the DO block has no WHERE clause')
  assert.match(findings[2]!.message, 'in function backfill, which line 12 calls')
})

test('a function that is only created, not called, is not run by the file', async () => {
  const file = 'CREATE OR REPLACE FUNCTION backfill() RETURNS void LANGUAGE sql AS $$ UPDATE orders SET total = 0 $$;'
  assert.equal(await hits(rule, file), [])
})

test.run()
