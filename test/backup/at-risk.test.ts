/** Which data a migration puts at risk, read from the syntax tree alone (no database). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findRisks } from '../../src/backup/at-risk.js'
import { checksum, type MigrationFile } from '../../src/runner/file-format.js'
import type { Finding } from '../../src/lint/index.js'

const file = (content: string, path = 'migrations/002_x.sql'): MigrationFile => ({
  version: 2,
  name: 'x',
  path,
  content,
  checksum: checksum(content),
  noTransaction: false,
})
const finding = (line: number, rule: string): Finding => ({
  file: 'migrations/002_x.sql',
  line,
  column: 1,
  endLine: line,
  endColumn: 2,
  severity: 'error',
  rule,
  category: 'destructive',
  message: '',
  help: '',
})

test('every destructive statement names its tables and columns, with file, line and rule', async () => {
  const { risks, notes } = await findRisks([
    file(`drop table if exists a, s.b cascade;
alter table s.t drop column if exists c, alter column d type int, add column if not exists e int;
truncate a, "Mixed" cascade;
with gone as (delete from q returning *) select count(*) from gone;
update u set x = 1, y = 2;
update v set z = 1 where id = 3;
delete from w where true;
drop schema if exists sch cascade;
drop type if exists mood cascade;
drop view if exists vw cascade;`),
  ])
  const summary = risks.map((r) => `${r.reason.line} ${r.reason.rule} ${JSON.stringify(r.target)}`)
  assert.equal(summary, [
    '1 drop-table {"kind":"rows","table":{"name":"a"}}',
    '1 drop-table {"kind":"rows","table":{"schema":"s","name":"b"}}',
    '2 drop-column {"kind":"columns","table":{"schema":"s","name":"t"},"columns":["c"]}',
    '2 alter-column-type {"kind":"columns","table":{"schema":"s","name":"t"},"columns":["d"]}',
    '3 truncate {"kind":"rows","table":{"name":"a"}}',
    '3 truncate {"kind":"rows","table":{"name":"Mixed"}}',
    '3 drop-cascade {"kind":"referencing","tables":[{"name":"a"},{"name":"Mixed"}]}',
    '4 delete-without-where {"kind":"rows","table":{"name":"q"}}',
    '5 update-without-where {"kind":"columns","table":{"name":"u"},"columns":["x","y"]}',
    '8 drop-schema {"kind":"schema","schema":"sch"}',
    '9 drop-cascade {"kind":"type-columns","type":{"name":"mood"}}',
  ])
  assert.equal(notes, [])
  assert.is(risks[0].reason.file, 'migrations/002_x.sql')
  assert.is(risks[0].reason.statement, 'drop table if exists a, s.b cascade')
})

test('what strata cannot back up becomes a note naming the file and line', async () => {
  const content = "drop extension if exists postgis cascade;\ndo $$ begin execute 'drop table t'; end $$;\ndrop view if exists v cascade;"
  const { risks, notes } = await findRisks(
    [file(content)],
    [finding(1, 'drop-cascade'), finding(2, 'drop-table'), finding(3, 'drop-cascade')],
  )
  assert.equal(risks, [])
  assert.equal(notes, [
    "migrations/002_x.sql:1 (drop-cascade): DROP EXTENSION ... CASCADE drops every column of the extension's types; strata does not back those up: do it yourself",
    'migrations/002_x.sql:2 (drop-table): not backed up: strata cannot tell which data this statement puts at risk; back it up yourself',
  ])
})

test('a file read in pieces (as a large one is) puts the same data at risk as read at once', async () => {
  const content = `insert into a values (1), (2), (3);
drop table if exists a, s.b cascade;
alter table s.t drop column if exists c;
do $$ begin execute 'drop table t'; end $$;
update u set x = 1;
drop view if exists v cascade;`
  const findings = [finding(4, 'drop-table'), finding(6, 'drop-cascade')]
  const whole = await findRisks([file(content)], findings)
  const pieces = await findRisks([file(content)], findings, { pieceChars: 1, elideRowsOver: 0, rowBatchChars: 1, wholeFileChars: 0 })
  assert.is(whole.risks.length, 4)
  assert.equal(pieces, whole)
  const broken = await findRisks([file(`${content}\ndrop tabel oops;`)], [], {
    pieceChars: 1,
    elideRowsOver: 0,
    rowBatchChars: 1,
    wholeFileChars: 0,
  })
  assert.equal(broken.risks, [], 'a file that does not parse names nothing, as when it is read at once')
})

test.run()
