import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'vacuum-full-or-cluster'

test('reports VACUUM FULL (both spellings, with or without tables) and CLUSTER', async () => {
  const file = sql('VACUUM FULL foo;', 'VACUUM (FULL, ANALYZE) foo;', 'VACUUM FULL;', 'CLUSTER foo USING foo_pkey;', 'CLUSTER;')
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1', '5:1'])
})

test('accepts plain VACUUM, ANALYZE, FULL off, and tables the file created', async () => {
  const file = sql(
    'VACUUM foo;',
    'VACUUM ANALYZE foo;',
    'VACUUM (FULL FALSE) foo;',
    'ANALYZE foo;',
    'CREATE TABLE IF NOT EXISTS t (a int);',
    'VACUUM FULL t;',
    'CLUSTER t USING t_a;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
