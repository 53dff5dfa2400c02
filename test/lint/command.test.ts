import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runLint } from '../../src/commands/lint.js'
import { strata } from '../support/project.js'

function project(files: Record<string, string>): string {
  const cwd = mkdtempSync(join(tmpdir(), 'strata-lint-command-'))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(cwd, path, '..'), { recursive: true })
    writeFileSync(join(cwd, path), content)
  }
  return cwd
}

const clean = 'CREATE TABLE IF NOT EXISTS users (id int);\n'
const warningOnly = "INSERT INTO settings VALUES ('theme');\n"
const destructive = 'SELECT 1;\nDROP TABLE IF EXISTS users;\n'

test('lints the migrations directory by default and exits 0 when nothing is an error', async () => {
  const cwd = project({ 'migrations/001_users.sql': clean, 'migrations/002_seed.sql': warningOnly, 'other/003_x.sql': destructive })
  const result = await runLint({ paths: [], dir: 'migrations', format: 'json', cwd })
  assert.equal(
    result.findings.map((f) => `${f.file}:${f.line}:${f.rule}`),
    ['migrations/002_seed.sql:1:insert-without-on-conflict'],
  )
  assert.is(result.exitCode, 0)
})

test('takes files and directories (recursively, in version order) and exits 1 on an error', async () => {
  const cwd = project({
    'db/10_b.sql': destructive,
    'db/nested/9_a.sql': destructive,
    'one.sql': destructive,
    'db/notes.txt': 'DROP TABLE x;',
  })
  const result = await runLint({ paths: ['one.sql', 'db'], dir: 'migrations', format: 'json', cwd })
  assert.equal([...new Set(result.findings.map((f) => f.file))], ['one.sql', 'db/10_b.sql', 'db/nested/9_a.sql'])
  assert.is(result.exitCode, 1)
})

test('json output is exactly one array on stdout', async () => {
  const cwd = project({ 'migrations/001_drop.sql': destructive })
  const { output } = await runLint({ paths: [], dir: 'migrations', format: 'json', cwd })
  assert.equal(JSON.parse(output), [
    {
      file: 'migrations/001_drop.sql',
      line: 2,
      column: 1,
      endLine: 2,
      endColumn: 27,
      severity: 'error',
      rule: 'drop-table',
      message: 'DROP TABLE users deletes the table and all its rows; code that still uses it will fail.',
      help: 'Stop using the table in the application first and keep a backup; then accept it with `-- strata:ignore drop-table` above the statement, or run with --allow-destructive.',
    },
  ])
})

test('pretty and github output name the file, line and rule', async () => {
  const cwd = project({ 'migrations/001_drop.sql': destructive })
  const pretty = await runLint({ paths: [], dir: 'migrations', format: 'pretty', cwd, color: false })
  assert.match(pretty.output, 'migrations/001_drop.sql:2:1  error  drop-table  DROP TABLE users')
  assert.match(pretty.output, '1 error, 0 warnings in 1 file.')
  const github = await runLint({ paths: [], dir: 'migrations', format: 'github', cwd })
  assert.match(
    github.output,
    /^::error file=migrations\/001_drop.sql,line=2,col=1,endLine=2,endColumn=27,title=drop-table::DROP TABLE users/,
  )
})

test('rule settings come from package.json in cwd, and --rule flags win', async () => {
  const cwd = project({
    'package.json': JSON.stringify({ strata: { rules: { 'drop-table': 'warning', 'missing-down': 'warning' } } }),
    'migrations/001_drop.sql': destructive,
  })
  const fromPackage = await runLint({ paths: [], dir: 'migrations', format: 'json', cwd })
  assert.equal(
    fromPackage.findings.map((f) => `${f.rule}:${f.severity}`),
    ['missing-down:warning', 'drop-table:warning'],
  )
  assert.is(fromPackage.exitCode, 0)
  const fromFlag = await runLint({ paths: [], dir: 'migrations', format: 'json', cwd, rules: ['drop-table=error', 'missing-down=off'] })
  assert.equal(
    fromFlag.findings.map((f) => `${f.rule}:${f.severity}`),
    ['drop-table:error'],
  )
  assert.is(fromFlag.exitCode, 1)
})

test('missing-down looks for the down file on disk', async () => {
  const cwd = project({
    'migrations/001_a.sql': clean,
    'migrations/001_a.down.sql': 'DROP TABLE IF EXISTS users;',
    'migrations/002_b.sql': clean,
  })
  const result = await runLint({ paths: [], dir: 'migrations', format: 'json', cwd, rules: ['missing-down=warning'] })
  assert.equal(
    result.findings.map((f) => `${f.file}:${f.rule}`),
    ['migrations/002_b.sql:missing-down'],
  )
})

test('a path that does not exist is a usage error', async () => {
  const cwd = project({})
  try {
    await runLint({ paths: ['nope.sql'], dir: 'migrations', format: 'json', cwd })
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.is((error as { code?: string }).code, 'usage')
    assert.match((error as Error).message, 'nope.sql')
  }
})

test('under GitHub Actions, lint prints its findings and also writes them as annotations; an explicit --format wins', async () => {
  const cwd = project({ 'migrations/001_drop.sql': destructive })
  const env = { GITHUB_ACTIONS: 'true' }
  const plain = await strata(['lint'], { cwd, env })
  assert.is(plain.code, 1)
  assert.match(plain.stdout, 'migrations/001_drop.sql:2:1  error  drop-table')
  assert.match(plain.stdout, '::error file=migrations/001_drop.sql,line=2,col=1,endLine=2,endColumn=27,title=drop-table::DROP TABLE users')
  const json = await strata(['lint', '--format', 'json'], { cwd, env })
  assert.is(JSON.parse(json.stdout).length, 1)
  const outside = await strata(['lint'], { cwd, env: { GITHUB_ACTIONS: undefined } })
  assert.not.match(outside.stdout, '::error')
})

test.run()
