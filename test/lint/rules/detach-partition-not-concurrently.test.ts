import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'detach-partition-not-concurrently'

test('reports DETACH PARTITION without CONCURRENTLY', async () => {
  assert.equal(await hits(rule, 'ALTER TABLE events DETACH PARTITION events_2023;'), ['1:1'])
})

test('accepts CONCURRENTLY, FINALIZE, and a table the file created', async () => {
  const file = sql(
    '-- strata:no-transaction',
    'ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;',
    'ALTER TABLE events DETACH PARTITION events_2022 FINALIZE;',
    'CREATE TABLE IF NOT EXISTS logs (at date) PARTITION BY RANGE (at);',
    'ALTER TABLE logs DETACH PARTITION logs_old;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
