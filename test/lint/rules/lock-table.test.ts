import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'lock-table'

test('reports LOCK TABLE in modes that block writes, ACCESS EXCLUSIVE by default', async () => {
  const file = sql('LOCK TABLE accounts;', 'LOCK TABLE a, b IN SHARE MODE;', 'LOCK accounts IN EXCLUSIVE MODE;')
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1'])
  const [first] = await findingsFor(file)
  assert.match(first!.message, 'IN ACCESS EXCLUSIVE MODE blocks every read and write')
})

test('accepts weak lock modes and tables the file created', async () => {
  const file = sql(
    'LOCK TABLE accounts IN ACCESS SHARE MODE;',
    'LOCK TABLE accounts IN ROW EXCLUSIVE MODE;',
    'LOCK TABLE accounts IN SHARE UPDATE EXCLUSIVE MODE;',
    'CREATE TABLE IF NOT EXISTS t (a int);',
    'LOCK TABLE t;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
