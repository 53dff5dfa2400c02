import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatFindings } from '../../src/lint/format.js'
import type { Finding } from '../../src/lint/index.js'

const drop: Finding = {
  file: 'migrations/002_drop.sql',
  line: 2,
  column: 3,
  endLine: 2,
  endColumn: 19,
  severity: 'error',
  rule: 'drop-table',
  category: 'destructive',
  message: 'DROP TABLE users deletes the table.',
  help: 'Keep a backup.',
}
const index: Finding = {
  ...drop,
  file: 'migrations/003_index.sql',
  line: 1,
  column: 1,
  endLine: 1,
  endColumn: 30,
  severity: 'warning',
  rule: 'create-index-not-concurrently',
  category: 'locking',
  message: 'Blocks writes, 100%: really.',
  help: 'Use CONCURRENTLY.',
}
const contents = new Map([
  ['migrations/002_drop.sql', 'SELECT 1;\n  DROP TABLE users;\n'],
  ['migrations/003_index.sql', 'CREATE INDEX i ON users (id);\n'],
])

test('pretty: location, severity, rule and message, a help line, the source line with a caret, a count', () => {
  const output = formatFindings([drop, index], 'pretty', { contents, fileCount: 5, color: false })
  assert.is(
    output,
    [
      'migrations/002_drop.sql:2:3  error  drop-table  DROP TABLE users deletes the table.',
      '  help: Keep a backup.',
      '  2 |   DROP TABLE users;',
      '    |   ^^^^^^^^^^^^^^^^',
      '',
      'migrations/003_index.sql:1:1  warning  create-index-not-concurrently  Blocks writes, 100%: really.',
      '  help: Use CONCURRENTLY.',
      '  1 | CREATE INDEX i ON users (id);',
      '    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      '',
      '1 error, 1 warning in 5 files.',
      '',
    ].join('\n'),
  )
})

test('pretty: no findings says so', () => {
  assert.is(formatFindings([], 'pretty', { fileCount: 1, color: false }), 'No problems found in 1 file.\n')
})

test('pretty: colour only when asked', () => {
  assert.match(formatFindings([drop], 'pretty', { contents, color: true }), '\u001b[')
  assert.not.match(formatFindings([drop], 'pretty', { contents, color: false }), '\u001b[')
})

test('json: one array with exactly the documented fields', () => {
  const parsed = JSON.parse(formatFindings([drop], 'json'))
  assert.equal(parsed, [
    {
      file: drop.file,
      line: 2,
      column: 3,
      endLine: 2,
      endColumn: 19,
      severity: 'error',
      rule: 'drop-table',
      message: drop.message,
      help: drop.help,
    },
  ])
  assert.equal(JSON.parse(formatFindings([], 'json')), [])
})

test('github: one workflow command per finding, escaped', () => {
  assert.is(
    formatFindings([drop, index], 'github'),
    '::error file=migrations/002_drop.sql,line=2,col=3,endLine=2,endColumn=19,title=drop-table::DROP TABLE users deletes the table.%0AKeep a backup.\n' +
      '::warning file=migrations/003_index.sql,line=1,col=1,endLine=1,endColumn=30,title=create-index-not-concurrently::Blocks writes, 100%25: really.%0AUse CONCURRENTLY.\n',
  )
})

test.run()
