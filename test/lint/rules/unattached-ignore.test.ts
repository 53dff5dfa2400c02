import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'unattached-ignore'

test('reports a strata:ignore after code, in a block comment, or above no statement', async () => {
  const file = sql('TRUNCATE a; -- strata:ignore truncate', '/* strata:ignore truncate */', 'TRUNCATE b;', '-- strata:ignore truncate', '')
  assert.equal(await hits(rule, file), ['1:16', '2:4', '4:4'])
})

test('accepts directives right above a statement, file-wide ones, and the words in a string', async () => {
  const file = sql(
    '-- strata:ignore truncate',
    '-- reason: the table is rebuilt below',
    'TRUNCATE a;',
    '-- strata:ignore-file drop-table',
    "COMMENT ON TABLE b IS 'see -- strata:ignore';",
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
