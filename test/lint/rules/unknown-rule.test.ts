import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, sql } from '../support.js'

test('reports a rule name that does not exist, where it is written', async () => {
  const findings = await findingsFor(sql('-- strata:ignore drop-tabel, truncate', 'TRUNCATE sessions;', '-- strata:ignore-file nope'))
  assert.equal(
    findings.map((f) => [f.rule, f.line, f.column, f.endColumn, f.category]),
    [
      ['unknown-rule', 1, 18, 28, 'config'],
      ['unknown-rule', 3, 23, 27, 'config'],
    ],
  )
})

test('reports a strata:ignore comment with no rule at all', async () => {
  const findings = await findingsFor(sql('-- strata:ignore', 'SELECT 1;'))
  assert.equal(
    findings.map((f) => [f.rule, f.line, f.column]),
    [['unknown-rule', 1, 4]],
  )
})

test('known names, and a reason after --, are fine', async () => {
  assert.equal(await findingsFor(sql('-- strata:ignore truncate -- sessions are disposable', 'TRUNCATE sessions;')), [])
})

test.run()
