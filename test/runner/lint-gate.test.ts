import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { migrate } from '../../src/index.js'
import { failure } from '../support/failure.js'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

const files = (f: Record<string, string>) => project(Object.fromEntries(Object.entries(f).map(([k, v]) => [`migrations/${k}`, v])))
const exists = async (name: string) => (await db.sql`select to_regclass(${name}) is not null as ok`)[0].ok

test('a lint error in any pending file stops the run before anything is applied', async () => {
  const cwd = files({
    '001_ok.sql': 'create table if not exists gate_ok (id int);',
    '002_not_idempotent.sql': 'create table gate_bare (id int);',
  })
  const err = await failure(migrate({ url: db.url, cwd, schema: 'gate1' }))
  assert.is(err.code, 'lint')
  assert.is(err.exitCode, 1)
  assert.is(err.facts.file, 'migrations/002_not_idempotent.sql')
  assert.is(err.facts.line, 1)
  assert.match(err.message, /nothing was applied/)
  assert.not.ok(await exists('gate_ok'), 'the clean file before it must not run either')
})

test('destructive statements need --allow-destructive; then they run', async () => {
  await db.sql`create table if not exists gate_victim (id int)`
  const cwd = files({ '001_drop.sql': 'drop table if exists gate_victim;' })
  const err = await failure(migrate({ url: db.url, cwd, schema: 'gate2' }))
  assert.is(err.code, 'lint')
  assert.match(String(err.facts.hint), /--allow-destructive/)
  assert.ok(await exists('gate_victim'))
  const result = await migrate({ url: db.url, cwd, schema: 'gate2', allowDestructive: true })
  assert.is(result.applied.length, 1)
  assert.ok(result.lint.findings.some((f) => f.rule === 'drop-table'))
  assert.not.ok(await exists('gate_victim'))
})

test('--allow-destructive does not let other errors through', async () => {
  const cwd = files({ '001_mixed.sql': 'drop table if exists gate_x;\ncreate table gate_y (id int);' })
  const err = await failure(migrate({ url: db.url, cwd, schema: 'gate3', allowDestructive: true }))
  assert.is(err.code, 'lint')
  assert.is(err.facts.line, 2)
})

test('a rule lowered with --rule or a suppression comment lets the file through', async () => {
  const cwd = files({
    '001_a.sql': 'create table gate_rule (id int);',
    '002_b.sql': '-- strata:ignore require-if-not-exists\ncreate table gate_ignored (id int);',
  })
  const result = await migrate({ url: db.url, cwd, schema: 'gate4', rules: ['require-if-not-exists=warning'] })
  assert.is(result.applied.length, 2)
  assert.equal(
    result.lint.findings.map((f) => `${f.file}:${f.rule}:${f.severity}`),
    ['migrations/001_a.sql:require-if-not-exists:warning'],
  )
})

test('--dry-run prints the plan and the findings as lint does, touches nothing, and exits 1 when lint would stop a real run', async () => {
  const cwd = files({
    '001_a.sql': 'create table gate_dry (id int);',
    '002_b.sql': '-- strata:no-transaction\ncreate index concurrently if not exists gate_dry_idx on gate_dry (id);',
  })
  const r = await strata(['migrate', '--dry-run', '--url', db.url, '--schema', 'gate5'], { cwd })
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stdout, /migrations\/001_a\.sql:1:1\s+error\s+require-if-not-exists/)
  assert.match(r.stdout, /1 \| create table gate_dry \(id int\);\n\s+\|\s+\^+/)
  assert.match(r.stdout, /a real run would stop here: lint found 1 error/)
  assert.match(r.stdout, /would apply\s+migrations\/001_a\.sql\s+transaction/)
  assert.match(r.stdout, /would apply\s+migrations\/002_b\.sql\s+no-transaction/)
  assert.not.ok(await exists('gate_dry'))
  assert.not.ok(await exists('gate5.migrations'))
})

test('nothing pending: the parser is never loaded', async () => {
  const cwd = files({ '001_a.sql': 'create table if not exists gate_fast (id int);' })
  await migrate({ url: db.url, cwd, schema: 'gate6' })
  const r = await strata(['migrate', '--url', db.url, '--schema', 'gate6'], { cwd, env: { NODE_DEBUG: 'module' } })
  assert.is(r.code, 0)
  assert.not.match(r.stderr + r.stdout, /libpg-query/)
})

test.run()
