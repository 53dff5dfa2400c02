/**
 * Per-file transactions, pipelined: the next files' queries leave before the first answers (one round trip per
 * window of files, not per file), and still nothing runs after a failure.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createConnection, createServer, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrate } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project } from '../support/project.js'

const db = useFreshDatabase(test)

let n = 0
function setup(files: Record<string, string>) {
  const schema = `pipeline_${++n}`
  const cwd = project(Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v])))
  return { cwd, schema, dir: join(cwd, 'migrations'), run: (url = db.url) => migrate({ url, cwd, schema }) }
}

const versions = async (schema: string) =>
  (await db.sql.unsafe(`select version::int from ${schema}.migrations where status = 'applied' order by version`)).map((r) => r.version)
const tableExists = async (name: string) => (await db.sql`select to_regclass(${name}) is not null as ok`)[0].ok
const pad = (i: number) => String(i).padStart(3, '0')

/** A TCP proxy in front of the test database that keeps what the client sent. */
async function recordingProxy(): Promise<{ url: string; sent: () => string; close: () => void }> {
  const target = new URL(db.url)
  let sent = ''
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) })
    client.on('data', (d) => ((sent += d.toString('latin1')), upstream.write(d)))
    upstream.on('data', (d) => client.write(d))
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.end())
    upstream.on('close', () => client.end())
  })
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  const url = new URL(db.url)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as { port: number }).port)
  return { url: url.toString(), sent: () => sent, close: () => server.close() }
}

test('the next files are sent while the first still runs', async () => {
  await db.sql`create table if not exists pipe_gate (id int)`
  const files: Record<string, string> = { '001_wait.sql': 'select count(*) from pipe_gate;' }
  for (let i = 2; i <= 6; i++) files[`${pad(i)}_t.sql`] = `create table if not exists pipe_sent_${i} (id int);`
  const t = setup(files)
  const proxy = await recordingProxy()
  const gate = await db.sql.reserve()
  try {
    await gate`begin`
    await gate`lock table pipe_gate in access exclusive mode` // 001 waits behind this until we commit
    const run = t.run(proxy.url)
    run.catch(() => {})
    const deadline = Date.now() + 5000
    while (!proxy.sent().includes('pipe_sent_6') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.ok(proxy.sent().includes('pipe_sent_6'), 'the last file was not sent while the first one waited')
    await gate`commit`
    const result = await run
    assert.equal(
      result.applied.map((a) => a.version),
      [1, 2, 3, 4, 5, 6],
    )
    assert.equal(await versions(t.schema), [1, 2, 3, 4, 5, 6])
  } finally {
    await gate`rollback`.catch(() => {})
    gate.release()
    proxy.close()
  }
})

test('a failure in a long run: the files sent behind it do not apply, and a fixed file resumes the run', async () => {
  const files: Record<string, string> = {}
  for (let i = 1; i <= 40; i++)
    files[`${pad(i)}_t.sql`] = `create table if not exists long_${i} (id int);\ninsert into long_${i} values (${i});`
  files['015_t.sql'] = '-- strata:no-transaction\ncreate index concurrently if not exists long_14_idx on long_14 (id);'
  files['030_t.sql'] = 'create table if not exists long_30 (id int);\nselect * from long_missing;'
  const t = setup(files)
  const err = await failure(t.run())
  assert.is(err.facts.file, 'migrations/030_t.sql')
  assert.is(err.facts.line, 2)
  assert.is(err.facts.column, 15)
  assert.is(err.facts.sqlstate, '42P01')
  assert.equal(
    await versions(t.schema),
    Array.from({ length: 29 }, (_, i) => i + 1),
  )
  assert.ok(await tableExists('long_29'))
  for (let i = 30; i <= 40; i++) assert.not.ok(await tableExists(`long_${i}`), `long_${i} exists after the failure`)
  assert.ok(await tableExists('long_14_idx'), 'the no-transaction file between them ran')

  writeFileSync(join(t.dir, '030_t.sql'), 'create table if not exists long_30 (id int);')
  const resumed = await t.run()
  assert.equal(
    resumed.applied.map((a) => a.version),
    Array.from({ length: 11 }, (_, i) => i + 30),
  )
  assert.ok(await tableExists('long_40'))
  assert.equal((await t.run()).applied, [])
})

test('a file that ends its own transaction and then fails stops the files sent after it', async () => {
  // The server is not left in a failed transaction here, so only the guard's predecessor check stops 003.
  const t = setup({
    '001_ok.sql': 'create table if not exists ended_ok (id int);',
    '002_ends.sql': '-- strata:ignore-file explicit-transaction-control\ncommit;\nselect 1/0;',
    '003_after.sql': 'create table if not exists ended_after (id int);',
    '004_after.sql': 'create table if not exists ended_after_too (id int);',
  })
  const err = await failure(t.run())
  assert.is(err.facts.file, 'migrations/002_ends.sql')
  assert.is(err.facts.sqlstate, '22012')
  assert.equal(await versions(t.schema), [1])
  assert.not.ok(await tableExists('ended_after'), '003 ran after 002 failed')
  assert.not.ok(await tableExists('ended_after_too'), '004 ran after 002 failed')
})

test('--single-transaction: a failure late in a long run leaves nothing of the run', async () => {
  const files: Record<string, string> = {}
  for (let i = 1; i <= 40; i++) files[`${pad(i)}_t.sql`] = `create table if not exists single_long_${i} (id int);`
  files['035_t.sql'] = 'create table if not exists single_long_35 (id int);\nselect * from single_missing;'
  const t = setup(files)
  const err = await failure(migrate({ url: db.url, cwd: t.cwd, schema: t.schema, singleTransaction: true }))
  assert.is(err.facts.file, 'migrations/035_t.sql')
  assert.is(err.facts.line, 2)
  assert.is(err.facts.sqlstate, '42P01')
  for (const i of [1, 34, 36, 40]) assert.not.ok(await tableExists(`single_long_${i}`), `single_long_${i} exists`)
  assert.equal((await db.sql.unsafe(`select count(*)::int as n from ${t.schema}.migrations`))[0].n, 0)
})

test('--single-transaction: a file with its own COMMIT is refused before anything runs', async () => {
  const t = setup({
    '001_ok.sql': 'create table if not exists commits_ok (id int);',
    '002_commits.sql': '-- strata:ignore-file explicit-transaction-control\ncreate table if not exists commits_early (id int);\ncommit;',
    '003_after.sql': 'create table if not exists commits_after (id int);',
  })
  const err = await failure(migrate({ url: db.url, cwd: t.cwd, schema: t.schema, singleTransaction: true }))
  assert.is(err.facts.file, 'migrations/002_commits.sql')
  assert.match(err.message, /002_commits\.sql cannot run inside --single-transaction: it holds its own BEGIN … COMMIT/)
  for (const table of ['commits_ok', 'commits_early', 'commits_after']) assert.not.ok(await tableExists(table), `${table} was created`)
})

test.run()
