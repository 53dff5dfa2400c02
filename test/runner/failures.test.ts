/**
 * What a user sees when something goes wrong: lint refusals printed as lint prints them, run-time errors
 * located to their statement (also when the server gives no position), the session holding a lock named,
 * a lost connection reported with what the ledger says, warnings before anything is applied.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { join } from 'node:path'
import { down, migrate } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

let n = 0
function setup(files: Record<string, string>) {
  const schema = `fail_${++n}`
  const cwd = project(Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v])))
  return { cwd, schema, dir: join(cwd, 'migrations') }
}
const rows = async (schema: string) =>
  (await db.sql.unsafe(`select version::int, status from ${schema}.migrations order by version`)).map((r) => ({ ...r }))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('migrate stopped by lint prints every blocking finding as lint does: place, rule, the line with a caret, help', async () => {
  const t = setup({
    '001_a.sql': 'create table fail_lint_a (id int);',
    '002_b.sql': 'create table if not exists fail_lint_b (id int);\ndrop table fail_lint_other;',
  })
  const r = await strata(['migrate', '--url', db.url, '--schema', t.schema], { cwd: t.cwd })
  assert.is(r.code, 1)
  assert.match(r.stderr, /migrations\/001_a\.sql:1:1\s+error\s+require-if-not-exists/)
  assert.match(r.stderr, /1 \| create table fail_lint_a \(id int\);\n\s+\|\s+\^+/)
  assert.match(r.stderr, /migrations\/002_b\.sql:2:1\s+error\s+drop-table/)
  assert.match(r.stderr, /help:/)
  assert.match(r.stderr, /error: lint found 3 error\(s\) in 2 pending file\(s\); nothing was applied/)
  const gh = await strata(['migrate', '--url', db.url, '--schema', t.schema, '--format', 'github'], { cwd: t.cwd })
  assert.match(gh.stdout, /::error file=migrations\/001_a\.sql,line=1,col=1,endLine=1,endColumn=\d+,title=require-if-not-exists::/)
  assert.match(gh.stdout, /::error file=migrations\/002_b\.sql,line=2,col=1,.*title=drop-table::/)
})

test('warnings and accepted destructive statements print before anything is applied, and accepted ones are not errors', async () => {
  await db.sql`create table if not exists fail_victim (id int)`
  const t = setup({
    '001_a.sql': 'create table if not exists fail_warned (id int);\ninsert into fail_warned values (1);',
    '002_b.sql': 'drop table if exists fail_victim;',
  })
  const r = await strata(['migrate', '--url', db.url, '--schema', t.schema, '--allow-destructive'], { cwd: t.cwd })
  assert.is(r.code, 0, r.stderr)
  const warning = r.stdout.indexOf('warning  insert-without-on-conflict')
  const accepted = r.stdout.indexOf('accepted  drop-table')
  const applied = r.stdout.indexOf('applied  migrations/001_a.sql')
  assert.ok(warning >= 0 && accepted >= 0 && applied >= 0, r.stdout)
  assert.ok(warning < applied && accepted < applied, 'findings come before the first applied line')
  assert.not.match(r.stdout, /error\s+drop-table/)
  assert.match(r.stdout, /accepted: by --allow-destructive/)
})

test('a run-time error without a server position is located to its statement by a rolled-back replay', async () => {
  const t = setup({
    '001_t.sql': 'create table if not exists fail_u (id int primary key);\ninsert into fail_u values (1) on conflict do nothing;',
    '002_dup.sql':
      '-- two fine statements, then a duplicate key\ninsert into fail_u values (2) on conflict do nothing;\nupdate fail_u set id = id where id = 2;\n\n  insert into fail_u select 1;\n',
  })
  const err = await failure(migrate({ url: db.url, cwd: t.cwd, schema: t.schema, rules: ['insert-without-on-conflict=off'] }))
  assert.is(err.code, 'migration')
  assert.is(err.facts.sqlstate, '23505')
  assert.is(err.facts.file, 'migrations/002_dup.sql')
  assert.is(err.facts.line, 5)
  assert.is(err.facts.column, 3)
  assert.match(err.message, /^migrations\/002_dup\.sql:5:3: duplicate key value/)
  assert.equal(err.facts.context?.slice(0, 2), ['5 |   insert into fail_u select 1;', '      ^'])
  // The replay was rolled back: 002's first insert is not there.
  assert.equal(
    (await db.sql`select id from fail_u order by id`).map((r) => r.id),
    [1],
  )
  assert.equal(await rows(t.schema), [{ version: 1, status: 'applied' }])
})

test('a division by zero inside a later statement, through the CLI: file:line:col, the caret, the SQLSTATE', async () => {
  const t = setup({ '001_div.sql': 'select 1;\nselect 2;\nselect 10 / (select count(*) - count(*) from pg_class);\n' })
  const r = await strata(['migrate', '--url', db.url, '--schema', t.schema], { cwd: t.cwd })
  assert.is(r.code, 1)
  assert.match(r.stderr, /error: migrations\/001_div\.sql:3:1: division by zero \[22012\]/)
  assert.match(r.stderr, /3 \| select 10 \/ /)
  assert.match(r.stderr, /was rolled back: nothing of it was applied/)
})

test('a lock timeout names the statement and the session that holds the lock', async () => {
  await db.sql`create table if not exists fail_busy (id int)`
  const t = setup({ '001_alter.sql': 'select 1;\nalter table fail_busy add column if not exists note text;' })
  const holder = postgres(db.url, { max: 1, connection: { application_name: 'busy-app' }, onnotice: () => {} })
  const reserved = await holder.reserve()
  try {
    await reserved`begin`
    await reserved`select * from fail_busy`
    const err = await failure(migrate({ url: db.url, cwd: t.cwd, schema: t.schema, lockTimeout: '300ms', lockRetries: 0 }))
    assert.is(err.facts.sqlstate, '55P03')
    assert.is(err.facts.line, 2)
    const blockers = (err.facts.blockers as string[]).join('\n')
    assert.match(blockers, /fail_busy is locked \(AccessShareLock\) by pid \d+ \(busy-app/)
  } finally {
    await reserved`rollback`
    reserved.release()
    await holder.end()
  }
  assert.ok((await migrate({ url: db.url, cwd: t.cwd, schema: t.schema })).applied.length === 1)
})

test('a connection lost mid-run exits 1 and says, from the ledger read again, what is applied and what is not', async () => {
  const t = setup({
    '001_fast.sql': 'create table if not exists fail_lost (id int);',
    '002_slow.sql': 'select pg_sleep(5);\ncreate table if not exists fail_lost_2 (id int);',
  })
  const run = strata(['migrate', '--url', db.url, '--schema', t.schema], { cwd: t.cwd })
  let killed = false
  for (let i = 0; i < 100 && !killed; i++) {
    await sleep(100)
    const found = await db.sql`select pg_terminate_backend(pid) as ok from pg_stat_activity
      where application_name = 'strata' and query like '%pg_sleep(5)%' and pid <> pg_backend_pid()`
    killed = found.some((r) => r.ok)
  }
  assert.ok(killed, 'the slow file was seen running')
  const r = await run
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, /migrations\/002_slow\.sql: the connection to the server was lost while it ran/)
  assert.match(r.stderr, /connected again and read the ledger: migrations\/002_slow\.sql is not applied: nothing of it took effect/)
  assert.equal(await rows(t.schema), [{ version: 1, status: 'applied' }])
})

test('down takes the lock the way migrate does: it waits for the holder, names it, and gives up after --wait', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists fail_down (id int);', '001_a.down.sql': 'drop table if exists fail_down;' })
  await migrate({ url: db.url, cwd: t.cwd, schema: t.schema })
  const { lockKey } = await import('../../src/runner/lock.js')
  const holder = postgres(db.url, { max: 1, connection: { application_name: 'lock-holder' }, onnotice: () => {} })
  const reserved = await holder.reserve()
  const waits: string[] = []
  try {
    await reserved.unsafe(`begin; select pg_advisory_xact_lock(${lockKey(t.schema)})`)
    const err = await failure(
      down({
        url: db.url,
        cwd: t.cwd,
        schema: t.schema,
        yes: true,
        waitMs: 600,
        onProgress: (e) => e.type === 'waiting' && waits.push(e.message),
      }),
    )
    assert.is(err.code, 'lock')
    assert.match(waits.join('\n'), /lock-holder/)
  } finally {
    await reserved.unsafe('rollback')
    reserved.release()
    await holder.end()
  }
  const result = await down({ url: db.url, cwd: t.cwd, schema: t.schema, yes: true })
  assert.is(result.rolledBack.length, 1)
  assert.equal(await rows(t.schema), [])
})

test('while a file runs longer than a second, a terminal shows which one and for how long', async () => {
  const t = setup({ '001_slow.sql': 'select pg_sleep(2.5);' })
  // `script` gives the CLI a terminal, as a person running it would have.
  const cmd = `node ${join(process.cwd(), 'bin/strata.js')} migrate --url '${db.url}' --schema ${t.schema}`
  const r = await runInTerminal(cmd, t.cwd)
  assert.match(r, /applying migrations\/001_slow\.sql … 1s/)
  assert.match(r, /applied {2}migrations\/001_slow\.sql/)
})

async function runInTerminal(cmd: string, cwd: string): Promise<string> {
  const { spawn } = await import('node:child_process')
  return new Promise((done) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('exit', () => done(out))
  })
}

test.run()
