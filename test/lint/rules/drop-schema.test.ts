import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'drop-schema'

test('reports DROP SCHEMA, saying CASCADE takes everything in it', async () => {
  const findings = (await findingsFor(sql('DROP SCHEMA legacy;', 'DROP SCHEMA IF EXISTS reports CASCADE;'))).filter((f) => f.rule === rule)
  assert.equal(
    findings.map((f) => `${f.line}:${f.column}`),
    ['1:1', '2:1'],
  )
  assert.match(findings[1]!.message, /every table/)
})

test('does not report dropping a schema created in the same file, or other drops', async () => {
  const file = sql(
    'CREATE SCHEMA IF NOT EXISTS scratch;',
    'DROP SCHEMA scratch;',
    'DROP TABLE IF EXISTS legacy.t;',
    'DROP TYPE IF EXISTS legacy.mood;',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
