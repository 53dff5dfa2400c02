import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'copy-from-stdin'

test('reports COPY ... FROM STDIN, whatever its options', async () => {
  const file = sql('SELECT 1;', 'COPY users (id, email) FROM stdin;', '  COPY t FROM STDIN WITH (FORMAT csv, HEADER true);')
  assert.equal(await hits(rule, file), ['2:1', '3:3'])
})

test('does not report COPY from a server-side file or a program, or COPY TO STDOUT', async () => {
  const file = sql(
    "COPY t FROM '/srv/data/t.csv';",
    "COPY t FROM PROGRAM 'cat /srv/data/t.csv';",
    'COPY t TO STDOUT;',
    'COPY (SELECT 1) TO STDOUT;',
  )
  assert.equal(await hits(rule, file), [])
})

test('a pg_dump file (rows after the COPY, ended by \\.) is copy-from-stdin at each COPY, not a syntax error in a row', async () => {
  const file = sql(
    '-- Data for Name: users',
    'CREATE TABLE IF NOT EXISTS public.users (id int, name text);',
    'COPY public.users (id, name) FROM stdin;',
    '1\talice; DROP TABLE x',
    "2\tbob's",
    '\\.',
    '',
    'COPY public.teams (id) FROM stdin;',
    '7',
    '\\.',
    'DROP TABLE IF EXISTS legacy;',
  )
  const findings = await findingsFor(file, { rules: { [rule]: 'error' } })
  assert.equal(
    findings.map((f) => [f.rule, f.line, f.column]),
    [
      [rule, 3, 1],
      [rule, 8, 1],
      ['drop-table', 11, 1], // the statements after the rows are linted as usual
    ],
  )
  assert.match(findings[0]!.message, /psql sends the lines after it/)
  assert.match(findings[0]!.help, /INSERT \.\.\. VALUES/)
  assert.match(findings[0]!.help, /\\copy/)
})

test('rows up to the end of the file (no \\.), and CRLF line endings, are recognised too', async () => {
  assert.equal(await hits(rule, 'COPY t (a) FROM stdin;\r\n1\r\n2\r\n\\.\r\nSELECT 1;\r\n'), ['1:1'])
  assert.equal(await hits(rule, sql('SELECT 1;', 'COPY t (a) FROM stdin;', '1', '2')), ['2:1'])
})

test('a real syntax error after the rows is reported where it is (a file that does not parse is that one finding)', async () => {
  const findings = await findingsFor(sql('COPY t FROM stdin;', '1', '\\.', 'SELEC 1;'))
  assert.equal(
    findings.map((f) => [f.rule, f.line]),
    [['syntax-error', 4]],
  )
})

test('with the rule off, a pg_dump file is the syntax error it is', async () => {
  const findings = await findingsFor(sql('COPY t FROM stdin;', '1\tx', '\\.'), { rules: { [rule]: 'off' } })
  assert.equal(
    findings.map((f) => [f.rule, f.line]),
    [['syntax-error', 2]],
  )
})

test('-- strata:ignore copy-from-stdin silences it', async () => {
  assert.equal(await hits(rule, sql('-- strata:ignore copy-from-stdin', 'COPY t FROM stdin;')), [])
})

test.run()
