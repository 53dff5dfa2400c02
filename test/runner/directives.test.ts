import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hasDirective } from '../../src/runner/file-format.js'

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

test.run()
