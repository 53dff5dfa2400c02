import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor } from './support.js'

const where = async (text: string) => (await findingsFor(text)).map((f) => `${f.line}:${f.column}-${f.endLine}:${f.endColumn} ${f.rule}`)

test('CRLF files: positions, suppression comments and the no-transaction directive all work', async () => {
  const crlf = [
    '-- strata:no-transaction',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
    '-- strata:ignore truncate',
    'TRUNCATE sessions;',
    '  DROP TABLE IF EXISTS users;',
    '',
  ].join('\r\n')
  assert.equal(await where(crlf), ['5:3-5:29 drop-table'])
})

test('a UTF-8 byte order mark neither breaks parsing nor shifts columns', async () => {
  assert.equal(await where('\uFEFFSELECT 1;\nDROP TABLE IF EXISTS users;'), ['2:1-2:27 drop-table'])
  assert.equal(await where('\uFEFFSELEC 1;'), ['1:2-1:7 syntax-error'])
})

test.run()
