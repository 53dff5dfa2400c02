import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits } from '../support.js'

const rule = 'drop-database'

test('reports DROP DATABASE as a destructive error', async () => {
  assert.equal(await hits(rule, 'DROP DATABASE IF EXISTS analytics;'), ['1:1'])
  const finding = (await findingsFor('DROP DATABASE analytics;')).find((f) => f.rule === rule)!
  assert.is(finding.severity, 'error')
  assert.is(finding.category, 'destructive')
})

test('accepts DROP SCHEMA and DROP TABLE (other rules), and down files', async () => {
  assert.equal(await hits(rule, 'DROP SCHEMA IF EXISTS app; DROP TABLE IF EXISTS t;'), [])
  assert.equal(await hits(rule, 'DROP DATABASE analytics;', { path: 'migrations/004_x.down.sql' }), [])
})

test.run()
