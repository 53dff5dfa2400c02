// A seed-data file of a few MB: linted in pieces (src/sql/pieces.ts), yet applied as before: unsplit, in its
// transaction with its ledger row, with findings and errors at the right line. (Speed and memory targets are
// measured by bench/scale.mjs, not here.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { migrate } from '../../src/index.js'
import { PIECE_LIMITS } from '../../src/sql/pieces.js'
import { failure } from '../support/failure.js'
import { useFreshDatabase } from '../support/db.js'
import { project } from '../support/project.js'

const db = useFreshDatabase(test)

const rows = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `(${from + i}, 'customer ${from + i} ünïcödé', '{a,b}')`).join(',\n  ')
const insert = (table: string, from: number, count: number, onConflict = '\nON CONFLICT (id) DO NOTHING') =>
  `INSERT INTO ${table} (id, name, tags) VALUES\n  ${rows(from, count)}${onConflict};`

/** ~3 MB: 1,000-row INSERTs (several pieces, each list cut), then one 30,000-row INSERT (a piece of its own). */
function seed(table: string): string {
  const parts = [`CREATE TABLE IF NOT EXISTS ${table} (id int PRIMARY KEY, name text NOT NULL, tags text[] NOT NULL);`]
  for (let i = 0; i < 30; i++) parts.push(insert(table, i * 1000, 1000))
  parts.push(insert(table, 30_000, 30_000))
  return parts.join('\n') + '\n'
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length

test('a 3 MB seed file is linted with the right line for a finding near its end, and applied whole with its ledger row', async () => {
  const table = 'seed_ok'
  const text = `${seed(table)}INSERT INTO ${table} (id, name, tags) VALUES (-1, 'last', '{}');\n`
  assert.ok(text.length > 10 * PIECE_LIMITS.pieceChars)
  const cwd = project({ 'migrations/001_seed.sql': text })
  const result = await migrate({ url: db.url, cwd, schema: 'ledger_ok' })
  assert.equal(
    result.lint.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`),
    [`migrations/001_seed.sql:${lineOf(text, text.lastIndexOf('INSERT'))}:1 insert-without-on-conflict`],
  )
  assert.equal(
    result.applied.map((a) => a.version),
    [1],
  )
  const [{ count }] = await db.sql.unsafe(`select count(*)::int as count from ${table}`)
  assert.is(count, 60_001)
  const ledger = await db.sql.unsafe(`select version::int, status from ledger_ok.migrations`)
  assert.equal([...ledger], [{ version: 1, status: 'applied' }])
})

test('a server error in the last row of a giant INSERT names its line and column; nothing of the file stays', async () => {
  const table = 'seed_bad'
  const text = `${seed(table)}${insert(table, 70_000, 5_000).replace("(74999, 'customer 74999", "('x', 'customer 74999")}\n`
  const at = text.indexOf("('x'") + 1
  const cwd = project({ 'migrations/001_seed.sql': text })
  const error = await failure(migrate({ url: db.url, cwd, schema: 'ledger_bad' }))
  assert.is(error.facts.sqlstate, '22P02')
  assert.equal([error.facts.line, error.facts.column], [lineOf(text, at), at - text.lastIndexOf('\n', at)])
  const [{ exists }] = await db.sql.unsafe(`select to_regclass('${table}') is not null as exists`)
  assert.is(exists, false)
})

test('a syntax error deep in a giant INSERT stops the run at lint, at its line and column', async () => {
  const table = 'seed_syntax'
  const text = seed(table).replace("(45000, 'customer 45000", "(45000 'customer 45000")
  const at = text.indexOf("(45000 'customer") + '(45000 '.length
  const cwd = project({ 'migrations/001_seed.sql': text })
  const error = await failure(migrate({ url: db.url, cwd, schema: 'ledger_syntax' }))
  assert.is(error.code, 'lint')
  assert.equal([error.facts.line, error.facts.column], [lineOf(text, at), at - text.lastIndexOf('\n', at)])
  const [{ exists }] = await db.sql.unsafe(`select to_regclass('${table}') is not null as exists`)
  assert.is(exists, false)
})

test('a no-transaction seed file runs statement by statement, each with all of its rows', async () => {
  const table = 'seed_notx'
  const cwd = project({})
  writeFileSync(join(cwd, '001_seed.sql'), `-- strata:no-transaction\n${seed(table)}`)
  const result = await migrate({ url: db.url, cwd, dir: '.', schema: 'ledger_notx' })
  assert.equal(
    result.plan.map((p) => p.mode),
    ['no-transaction'],
  )
  const [{ count }] = await db.sql.unsafe(`select count(*)::int as count from ${table}`)
  assert.is(count, 60_000)
})

test.run()
