import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrate, status } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project } from '../support/project.js'

const db = useFreshDatabase(test)

/** A new schema per test keeps tests in one database independent of each other. */
let n = 0
function setup(files: Record<string, string>) {
  const schema = `ledger_${++n}`
  const cwd = project(Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v])))
  const run = (opts: Parameters<typeof migrate>[0] = {}) => migrate({ url: db.url, cwd, schema, ...opts })
  return { cwd, schema, run, dir: join(cwd, 'migrations') }
}

const ledger = async (schema: string) =>
  (await db.sql.unsafe(`select version::int, status from ${schema}.migrations order by version`)).map((r) => ({
    version: r.version,
    status: r.status,
  }))
const tableExists = async (name: string) => (await db.sql`select to_regclass(${name}) is not null as ok`)[0].ok

test('orders files by the integer value of the version: 2 before 10', async () => {
  const t = setup({
    '10_second.sql': `insert into order_log_${n + 1} values ('ten');`,
    '2_first.sql': `create table if not exists order_log_${n + 1} (v text);\ninsert into order_log_${n + 1} values ('two');`,
  })
  const result = await t.run()
  assert.equal(
    result.applied.map((a) => a.version),
    [2, 10],
  )
  const rows = await db.sql.unsafe(`select v from order_log_${n} order by ctid`)
  assert.equal(
    rows.map((r) => r.v),
    ['two', 'ten'],
  )
})

test('a failing file leaves nothing of itself and no ledger row; earlier files stay applied', async () => {
  const t = setup({
    '001_ok.sql': 'create table if not exists fail_ok (id int);',
    '002_bad.sql': 'create table if not exists fail_half (id int);\ninsert into fail_half values (1);\nselect 1/0;',
    '003_after.sql': 'create table if not exists fail_after (id int);',
  })
  const err = await failure(t.run())
  assert.is(err.code, 'migration')
  assert.is(err.facts.file, 'migrations/002_bad.sql')
  assert.is(err.facts.sqlstate, '22012')
  assert.ok(await tableExists('fail_ok'))
  assert.not.ok(await tableExists('fail_half'), 'the failing file must leave nothing')
  assert.not.ok(await tableExists('fail_after'), 'files after the failure must not run')
  assert.equal(await ledger(t.schema), [{ version: 1, status: 'applied' }])
  assert.match(String(err.facts.outcome), /002_bad\.sql was rolled back/)
  assert.match(String(err.facts.outcome), /001_ok\.sql/)
  const events = await db.sql.unsafe(
    `select action, version, details->>'path' as path, details->>'sqlstate' as sqlstate from ${t.schema}.events order by id`,
  )
  assert.equal(
    events.map((e) => `${e.action}:${e.version}:${e.path}`),
    ['apply:1:migrations/001_ok.sql', 'fail:2:migrations/002_bad.sql'],
  )
  assert.is(events[1].sqlstate, '22012')
})

test('--single-transaction leaves nothing at all when a later file fails', async () => {
  const t = setup({
    '001_a.sql': 'create table if not exists single_a (id int);',
    '002_b.sql': 'create table if not exists single_b (id int);',
    '003_bad.sql': 'select * from no_such_table;',
  })
  const err = await failure(t.run({ singleTransaction: true }))
  assert.is(err.facts.sqlstate, '42P01')
  assert.not.ok(await tableExists('single_a'))
  assert.not.ok(await tableExists('single_b'))
  assert.equal(await ledger(t.schema), [])
})

test('--single-transaction applies everything and records every file, with its times and event', async () => {
  const t = setup({
    '001_a.sql': 'create table if not exists single_ok_a (id int);',
    '002_b.sql': "select pg_sleep(0.05); select 'a result the runner must not take for its own' as x -- no newline at the end",
    '003_c.sql': 'create table if not exists single_ok_c (id int)',
  })
  const result = await t.run({ singleTransaction: true })
  assert.equal(
    result.applied.map((a) => a.path),
    ['migrations/001_a.sql', 'migrations/002_b.sql', 'migrations/003_c.sql'],
  )
  const rows = await db.sql.unsafe(
    `select version::int, name, checksum, status, execution_ms, started_at <= finished_at as ordered, finished_at - started_at >= interval '50 ms' as slept
     from ${t.schema}.migrations order by version`,
  )
  assert.equal(
    rows.map((r) => [r.version, r.name, r.status, r.ordered]),
    [
      [1, 'a', 'applied', true],
      [2, 'b', 'applied', true],
      [3, 'c', 'applied', true],
    ],
  )
  assert.ok(rows[1].slept, 'the second file slept 50 ms and its row says so')
  assert.ok(rows[1].execution_ms >= 50)
  assert.is(result.applied[1].ms, rows[1].execution_ms)
  const st = await status({ url: db.url, cwd: t.cwd, schema: t.schema })
  assert.equal(
    st.entries.map((e) => e.state),
    ['applied', 'applied', 'applied'],
    'names and checksums match the files',
  )
  const events = await db.sql.unsafe(`select action, version::int, checksum, details from ${t.schema}.events order by id`)
  assert.equal(
    events.map((e) => [e.action, e.version, e.details.path, e.details.mode, e.checksum === rows[e.version - 1].checksum]),
    [
      ['apply', 1, 'migrations/001_a.sql', 'single-transaction', true],
      ['apply', 2, 'migrations/002_b.sql', 'single-transaction', true],
      ['apply', 3, 'migrations/003_c.sql', 'single-transaction', true],
    ],
  )
  assert.is(events[1].details.execution_ms, rows[1].execution_ms)
  const again = await t.run({ singleTransaction: true })
  assert.is(again.applied.length, 0, 'the rows it wrote make the files applied: a second run has nothing to do')
})

test('a second run is a no-op', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists noop_a (id int);', '002_b.sql': 'insert into noop_a values (1);' })
  assert.is((await t.run()).applied.length, 2)
  const again = await t.run()
  assert.is(again.applied.length, 0)
  assert.is(again.plan.length, 0)
  assert.is((await db.sql`select count(*)::int as n from noop_a`)[0].n, 1)
})

test('an edited applied file is refused, naming the file, and nothing runs', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists edit_a (id int);' })
  await t.run()
  writeFileSync(join(t.dir, '001_a.sql'), 'create table if not exists edit_a (id bigint);')
  writeFileSync(join(t.dir, '002_b.sql'), 'create table if not exists edit_b (id int);')
  const err = await failure(t.run())
  assert.is(err.code, 'history')
  assert.match(err.message, /migrations\/001_a\.sql was edited after it was applied/)
  assert.not.ok(await tableExists('edit_b'))
})

test('a missing applied file is refused, naming it by its path', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists gone_a (id int);', '002_b.sql': 'select 1;' })
  await t.run()
  unlinkSync(join(t.dir, '001_a.sql'))
  const err = await failure(t.run())
  assert.match(err.message, /migrations\/001_a\.sql \(version 1\) is recorded as applied but its file is gone/)
  assert.equal(err.facts.blockers, [{ version: 1, name: 'a', state: 'missing', file: undefined }])
})

test('CRLF and BOM variants of an applied file are not "changed"', async () => {
  const body = 'create table if not exists crlf_a (id int);\n-- note\nselect 1;\n'
  const t = setup({ '001_a.sql': body })
  await t.run()
  writeFileSync(join(t.dir, '001_a.sql'), '\uFEFF' + body.replace(/\n/g, '\r\n'))
  const s = await status({ url: db.url, cwd: t.cwd, schema: t.schema })
  assert.equal(
    s.entries.map((e) => e.state),
    ['applied'],
  )
  assert.is((await t.run()).applied.length, 0)
})

test('a BOM file applies (the BOM is not sent to the server)', async () => {
  const t = setup({ '001_bom.sql': '\uFEFFcreate table if not exists bom_t (id int);\r\n' })
  await t.run()
  assert.ok(await tableExists('bom_t'))
})

test('a $$ function body containing semicolons applies', async () => {
  const t = setup({
    '001_fn.sql': `create or replace function dollar_fn(x int) returns int language plpgsql as $$
declare y int;
begin
  y := x + 1;
  return y; -- semicolons; everywhere;
end;
$$;
create or replace function tagged_fn() returns text language sql as $body$ select 'a;b' $body$;`,
  })
  await t.run()
  assert.is((await db.sql`select dollar_fn(1) as v, tagged_fn() as t`)[0].v, 2)
})

test('CREATE INDEX CONCURRENTLY applies in a strata:no-transaction file', async () => {
  const t = setup({
    '001_t.sql': 'create table if not exists conc_t (id int);',
    '002_idx.sql':
      '-- strata:no-transaction\n-- build without blocking writes\ncreate index concurrently if not exists conc_t_id on conc_t (id);\ncreate index concurrently if not exists conc_t_id2 on conc_t (id);',
  })
  const result = await t.run()
  assert.is(result.plan[1].mode, 'no-transaction')
  assert.ok(await tableExists('conc_t_id'))
  assert.ok(await tableExists('conc_t_id2'))
  assert.equal(await ledger(t.schema), [
    { version: 1, status: 'applied' },
    { version: 2, status: 'applied' },
  ])
})

test('a failing no-transaction file is marked failed, keeps what ran, and blocks the next run until repaired', async () => {
  const t = setup({
    '001_t.sql': 'create table if not exists conc_f (id int);',
    '002_idx.sql':
      '-- strata:no-transaction\ncreate index concurrently if not exists conc_f_ok on conc_f (id);\ncreate index concurrently if not exists conc_f_bad on conc_f (no_such_column);',
  })
  const err = await failure(t.run())
  assert.is(err.facts.line, 3)
  assert.match(String(err.facts.outcome), /1 of 2 statements took effect/)
  assert.ok(await tableExists('conc_f_ok'))
  assert.equal(await ledger(t.schema), [
    { version: 1, status: 'applied' },
    { version: 2, status: 'failed' },
  ])
  const again = await failure(t.run())
  assert.is(again.code, 'history')
  assert.match(again.message, /002_idx\.sql failed part-way/)
})

test('a syntax error on line 7 is reported at line 7 with a caret', async () => {
  const t = setup({
    '001_syntax.sql': ['-- 1', '-- 2', 'create table if not exists syn_t (', '  id int,', '  name text', ');', 'selec 1;'].join('\n'),
  })
  const err = await failure(t.run({ rules: ['syntax-error=off'] }))
  assert.is(err.facts.line, 7)
  assert.is(err.facts.column, 1)
  assert.equal(err.facts.context?.slice(0, 2), ['7 | selec 1;', '    ^'])
  assert.match(err.message, /^migrations\/001_syntax\.sql:7:1: syntax error at or near "selec"/)
})

test('--to stops after that version; --dry-run touches nothing', async () => {
  const t = setup({ '001_a.sql': 'select 1;', '002_b.sql': 'select 2;', '003_c.sql': 'select 3;' })
  const dry = await t.run({ dryRun: true })
  assert.equal(
    dry.plan.map((p) => p.version),
    [1, 2, 3],
  )
  assert.is(dry.applied.length, 0)
  assert.equal(await db.sql`select to_regclass(${t.schema + '.migrations'}) as t`.then((r) => r[0].t), null)
  assert.equal(
    (await t.run({ to: 2 })).applied.map((a) => a.version),
    [1, 2],
  )
  assert.equal(
    (await t.run()).applied.map((a) => a.version),
    [3],
  )
})

test('a pending file that sorts before the last applied one is refused unless --out-of-order', async () => {
  const t = setup({ '001_a.sql': 'select 1;', '003_c.sql': 'select 3;' })
  await t.run()
  writeFileSync(join(t.dir, '002_b.sql'), 'select 2;')
  const err = await failure(t.run())
  assert.match(err.message, /002_b\.sql is pending but sorts before the last applied version/)
  assert.equal(
    (await t.run({ outOfOrder: true })).applied.map((a) => a.version),
    [2],
  )
})

test('duplicate versions and badly named .sql files are refused by name', async () => {
  const dup = setup({ '001_a.sql': 'select 1;', '01_b.sql': 'select 1;' })
  const e1 = await failure(dup.run())
  assert.is(e1.exitCode, 2)
  assert.match(e1.message, /version 1: migrations\/001_a\.sql and migrations\/01_b\.sql/)
  const bad = setup({ '001_a.sql': 'select 1;', 'fix users.sql': 'select 1;', '002_b.sql.sql': 'x' })
  const e2 = await failure(bad.run())
  assert.match(e2.message, /fix users\.sql/)
  assert.match(e2.message, /002_b\.sql\.sql/)
  rmSync(join(bad.dir, 'fix users.sql'))
})

test('files are read while the connection opens: a refused connection or a bad file name is reported, whichever is wrong', async () => {
  // Enough files that reading them pauses for the event loop (src/files.ts), so the refusal arrives mid-read.
  const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`${String(i + 1).padStart(3, '0')}_f.sql`, 'select 1;']))
  const refusedUrl = 'postgres://app@127.0.0.1:1/db'
  const good = setup(many)
  const refused = await failure(good.run({ url: refusedUrl }))
  assert.is(refused.code, 'connection')
  assert.match(refused.message, /cannot connect to postgres:\/\/app@127\.0\.0\.1:1\/db/)
  const bad = setup({ ...many, '999 oops.sql': 'select 1;' })
  const files = await failure(bad.run({ url: refusedUrl }))
  assert.is(files.code, 'files', 'a file that can never run is the error to fix first, whatever the connection does')
  assert.match(files.message, /999 oops\.sql/)
  const applied = await failure(bad.run())
  assert.is(applied.code, 'files')
  assert.is((await status({ url: db.url, cwd: good.cwd, schema: good.schema })).entries.length, 200, 'all 200 read, once connected')
})

test('the ledger row is written in the same transaction as the file', async () => {
  const t = setup({ '001_a.sql': `create table if not exists same_tx (id int); insert into same_tx select txid_current();` })
  await t.run()
  const [{ id }] = await db.sql`select id::text from same_tx`
  const [{ xmin }] = await db.sql.unsafe(`select xmin::text from ${t.schema}.migrations where version = 1`)
  assert.is(String(Number(id) % 2 ** 32), xmin)
})

test('status reports applied, pending, changed and missing files', async () => {
  const t = setup({ '001_a.sql': 'select 1;', '002_b.sql': 'select 2;', '003_c.sql': 'select 3;' })
  await t.run({ to: 2 })
  writeFileSync(join(t.dir, '001_a.sql'), 'select 11;')
  unlinkSync(join(t.dir, '002_b.sql'))
  const s = await status({ url: db.url, cwd: t.cwd, schema: t.schema })
  assert.equal(
    s.entries.map((e) => `${e.version}:${e.state}:${e.path}:${e.file}`),
    [
      '1:changed:migrations/001_a.sql:migrations/001_a.sql',
      '2:missing:migrations/002_b.sql:null',
      '3:pending:migrations/003_c.sql:migrations/003_c.sql',
    ],
  )
  assert.is(s.counts.changed, 1)
  assert.ok(s.entries[0].appliedAt)
  assert.match(readFileSync(join(t.dir, '003_c.sql'), 'utf8'), /select 3/)
})

test.run()
