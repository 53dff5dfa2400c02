import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hasDirective, readDirectives } from '../../src/runner/file-format.js'
import { readMigrations } from '../../src/runner/files.js'
import { lintSources } from '../../src/lint/index.js'
import { project } from '../support/project.js'

test('strata:no-transaction counts in comment lines before the first statement, whatever the line endings', () => {
  const header = ['', '-- a note', '  -- strata:no-transaction  ', 'CREATE INDEX CONCURRENTLY i ON t (a);', '']
  for (const eol of ['\n', '\r\n', '\r']) assert.ok(hasDirective(header.join(eol), 'no-transaction'), JSON.stringify(eol))
  assert.ok(hasDirective('\uFEFF-- strata:no-transaction\nSELECT 1;', 'no-transaction'))
  assert.ok(hasDirective('-- strata:no-transaction', 'no-transaction'), 'a file that is only the directive')
})

test('a directive after the first statement, or in a longer comment, does not count', () => {
  assert.not.ok(hasDirective('SELECT 1;\n-- strata:no-transaction\n', 'no-transaction'))
  assert.not.ok(hasDirective('-- strata:no-transaction please\nSELECT 1;', 'no-transaction'))
  assert.not.ok(hasDirective('', 'no-transaction'))
  // A long file is read only up to its first statement.
  assert.not.ok(hasDirective('SELECT 1;\n' + '-- strata:no-transaction\n'.repeat(100_000), 'no-transaction'))
})

/** Headers that come before a statement in real files, and whether the directive in them counts. */
const HEADERS: [string, string, boolean][] = [
  ['a block comment first', '/* Adds an index.\n   Author: ops */\n-- strata:no-transaction\n', true],
  ['a nested block comment first', '/* outer /* inner */ still a comment; */\n-- strata:no-transaction\n', true],
  ['a BOM, a block comment and CRLF', '\uFEFF/* header */\r\n\r\n-- strata:no-transaction\r\n', true],
  ['CR line endings and blank lines', '\r-- note\r\r-- strata:no-transaction\r', true],
  ['several comment lines, blank lines and tabs', '-- one\n\n\t-- two\n--strata:no-transaction\n\n', true],
  ['a block comment ending on the directive line', '/* header */ -- strata:no-transaction\n', true],
  ['the directive inside a block comment', '/*\n-- strata:no-transaction\n*/\n', false],
  ['the directive after a statement', 'SELECT 1;\n-- strata:no-transaction\n', false],
  ['the directive with more words', '-- strata:no-transaction: needed for the index\n', false],
]

test('readDirectives reads through a BOM, block comments (nested too), blank and comment lines, with any line endings', () => {
  for (const [what, header, counts] of HEADERS) {
    assert.is(readDirectives(header + 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n').noTransaction, counts, what)
  }
})

test('the runner and lint read the same directives from the same file', async () => {
  const files = Object.fromEntries(
    HEADERS.map(([, header], i) => [
      `migrations/${String(i + 1).padStart(3, '0')}_h${i}.sql`,
      // Two statements: a lone nontransactional statement runs without a transaction whatever the header says.
      header + 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);\n',
    ]),
  )
  const cwd = project(files)
  const read = readMigrations('migrations', cwd)
  const findings = await lintSources(read.map((f) => ({ path: f.path, content: f.content })))
  for (const [i, [what, , counts]] of HEADERS.entries()) {
    const file = read[i]!
    assert.is(file.noTransaction, counts, `runner: ${what}`)
    const refused = findings.some((f) => f.file === file.path && f.rule === 'nontransactional-statement')
    assert.is(refused, !counts, `lint: ${what}`)
  }
})

test.run()
