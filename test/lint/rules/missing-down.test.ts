import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor } from '../support.js'

const on = { rules: { 'missing-down': 'warning' as const } }
const body = 'SELECT 1;'

test('is off by default', async () => {
  assert.equal(await findingsFor(body, { path: 'migrations/001_init.sql' }), [])
})

test('when on, warns about an up file with no down file beside it', async () => {
  const findings = await findingsFor(body, { ...on, path: 'migrations/001_init.sql', fileExists: () => false })
  assert.equal(
    findings.map((f) => [f.rule, f.severity, f.line, f.column]),
    [['missing-down', 'warning', 1, 1]],
  )
  assert.match(findings[0]!.help, /001_init\.down\.sql/)
})

test('is quiet when the down file exists, and for down files and files not named like migrations', async () => {
  const exists = (path: string) => path === 'migrations/001_init.down.sql'
  assert.equal(await findingsFor(body, { ...on, path: 'migrations/001_init.sql', fileExists: exists }), [])
  assert.equal(await findingsFor(body, { ...on, path: 'migrations/001_init.down.sql', fileExists: () => false }), [])
  assert.equal(await findingsFor(body, { ...on, path: 'seeds/users.sql', fileExists: () => false }), [])
})

test.run()
