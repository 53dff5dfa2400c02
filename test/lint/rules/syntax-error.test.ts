import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, sql } from '../support.js'

test('an unparseable file is one syntax-error at the right line and column', async () => {
  const findings = await findingsFor(
    sql(
      'CREATE TABLE IF NOT EXISTS t (id int);',
      '',
      'ALTER TABLE t ADD COLUMN IF NOT EXISTS a int',
      'ALTER TABLE t ADD COLUMN IF NOT EXISTS b int;',
    ),
  )
  assert.equal(
    findings.map((f) => [f.rule, f.line, f.column, f.endColumn, f.severity, f.category]),
    [['syntax-error', 4, 1, 6, 'error', 'syntax']],
  )
  assert.match(findings[0]!.message, /syntax error at or near "ALTER"/)
})

test('the column counts characters of the text (as editors do), not UTF-8 bytes', async () => {
  // `t WHER` parses as an alias, so the error is at `x`: column 29, since 😀 is two UTF-16 units (and 4 bytes).
  const findings = await findingsFor(sql('-- ünïcödé 😀 comment', "SELECT 'é😀', 1 FROM t WHER x;"))
  assert.equal(
    findings.map((f) => [f.rule, f.line, f.column]),
    [['syntax-error', 2, 29]],
  )
})

test('an unterminated string or comment is located too', async () => {
  const quote = await findingsFor(sql('SELECT 1;', "SELECT 'abc;"))
  assert.equal(
    quote.map((f) => [f.rule, f.line, f.column]),
    [['syntax-error', 2, 8]],
  )
  const comment = await findingsFor(sql('SELECT 1;', '/* never closed'))
  assert.equal(
    comment.map((f) => [f.rule, f.line]),
    [['syntax-error', 2]],
  )
})

test('an empty file, or one with only comments, is fine', async () => {
  assert.equal(await findingsFor(''), [])
  assert.equal(await findingsFor('-- nothing to do\n'), [])
})

test('-- strata:ignore-file syntax-error silences it (e.g. for syntax newer than the parser)', async () => {
  assert.equal(await findingsFor(sql('-- strata:ignore-file syntax-error', 'SELEC 1;')), [])
})

test.run()
