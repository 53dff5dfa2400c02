import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runLint } from '../../src/commands/lint.js'
import { project } from '../support/project.js'

const lint = (cwd: string, extra: Partial<Parameters<typeof runLint>[0]> = {}) =>
  runLint({ paths: [], dir: 'migrations', format: 'json', cwd, ...extra })
const rules = (r: Awaited<ReturnType<typeof lint>>) => r.findings.map((f) => `${f.file}:${f.line}:${f.rule}:${f.severity}`)

test('a warm run gives exactly the findings of a cold one, and an edited file is linted again', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'create table a (id int);', 'migrations/002_b.sql': 'drop table if exists b;' })
  const cold = await lint(cwd, { cache: false })
  const first = await lint(cwd)
  assert.ok(existsSync(join(cwd, '.strata/cache/lint.json')))
  const warm = await lint(cwd)
  assert.equal(rules(first), rules(cold))
  assert.equal(rules(warm), rules(cold))
  assert.equal(rules(warm), ['migrations/001_a.sql:1:require-if-not-exists:error', 'migrations/002_b.sql:1:drop-table:error'])

  writeFileSync(join(cwd, 'migrations/001_a.sql'), '-- fixed\ncreate table if not exists a (id int);\ntruncate audit_log;')
  assert.equal(rules(await lint(cwd)), ['migrations/001_a.sql:3:truncate:error', 'migrations/002_b.sql:1:drop-table:error'])
})

test('changing a rule setting, or adding a down file, is never answered from the cache', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'create table a (id int);' })
  await lint(cwd)
  assert.equal(rules(await lint(cwd, { rules: ['require-if-not-exists=warning'] })), [
    'migrations/001_a.sql:1:require-if-not-exists:warning',
  ])
  assert.equal(rules(await lint(cwd, { rules: ['missing-down=warning'] })).length, 2)
  writeFileSync(join(cwd, 'migrations/001_a.down.sql'), 'drop table if exists a;')
  assert.equal(rules(await lint(cwd, { rules: ['missing-down=warning'], paths: ['migrations/001_a.sql'] })), [
    'migrations/001_a.sql:1:require-if-not-exists:error',
  ])
})

test('the cache folder is ignored by git', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;' })
  await lint(cwd)
  assert.ok(existsSync(join(cwd, '.strata/cache/.gitignore')))
})

test.run()
