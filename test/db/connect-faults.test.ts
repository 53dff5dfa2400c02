/**
 * Connections that fail, fail fast and clearly: a server that is not Postgres, one that never answers, a
 * multi-host URL with dead hosts, a unix socket; and what a lost connection looks like to the runner.
 * Every stub listens on 127.0.0.1 or on a unix socket in a temp dir.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, isConnectionLost } from '../../src/db/connect.js'
import { useFreshDatabase } from '../support/db.js'
import { project, repoRoot } from '../support/project.js'
import { strataWithin } from '../support/install.js'
import { closesAfterStartup, deadPort, neverAnswers, socketToTcp, timed } from '../support/stubs.js'

const db = useFreshDatabase(test)
const cwd = project({ 'migrations/001_a.sql': 'create table if not exists faults_t (id int);' })
const SECRET = 'Fault-Pw-4711'

test('a server that closes after the startup packet: exit 1 at once, a handful of connections, a clear reason', async () => {
  const stub = await closesAfterStartup()
  try {
    const { ms, value: r } = await timed(
      strataWithin(30_000, ['status', '--url', `postgres://app:${SECRET}@127.0.0.1:${stub.port}/app`], { cwd }),
    )
    assert.is(r.code, 1, r.stderr)
    assert.ok(ms < 10_000, `exited after ${ms} ms`)
    assert.ok(stub.connections() <= 2, `${stub.connections()} connections: no reconnect loop`)
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${stub.port} closed the connection before the login finished`))
    assert.match(r.stderr, /does not speak the Postgres protocol/)
    assert.not.ok((r.stdout + r.stderr).includes(SECRET))
  } finally {
    await stub.close()
  }
})

test('a server that never answers: exit 1 within --connect-timeout 2s, saying how long it waited', async () => {
  const stub = await neverAnswers()
  try {
    const url = `postgres://app:${SECRET}@127.0.0.1:${stub.port}/app`
    const { ms, value: r } = await timed(strataWithin(30_000, ['migrate', '--url', url, '--connect-timeout', '2s'], { cwd }))
    assert.is(r.code, 1, r.stderr)
    assert.ok(ms >= 1500 && ms < 15_000, `exited after ${ms} ms`)
    assert.match(r.stderr, /did not answer within 2s/)
    assert.match(r.stderr, /--connect-timeout/)
    const viaEnv = await timed(strataWithin(30_000, ['status', '--url', url, '--json'], { cwd, env: { STRATA_CONNECT_TIMEOUT: '700ms' } }))
    assert.is(viaEnv.value.code, 1)
    assert.ok(viaEnv.ms < 10_000, `STRATA_CONNECT_TIMEOUT: exited after ${viaEnv.ms} ms`)
    assert.is(JSON.parse(viaEnv.value.stdout).error.code, 'connection')
  } finally {
    await stub.close()
  }
})

test('the default connect timeout is 10 s', async () => {
  const stub = await neverAnswers()
  try {
    const { ms, value: r } = await timed(strataWithin(30_000, ['status', '--url', `postgres://app:pw@127.0.0.1:${stub.port}/app`], { cwd }))
    assert.is(r.code, 1)
    assert.ok(ms >= 9000 && ms < 20_000, `exited after ${ms} ms`)
    assert.match(r.stderr, /did not answer within 10s/)
  } finally {
    await stub.close()
  }
})

test('a multi-host URL whose hosts are all dead: exit 1 within the timeout, naming what each host did', async () => {
  const silent = await neverAnswers()
  const closer = await closesAfterStartup()
  const dead = await deadPort()
  try {
    const url = `postgres://app:${SECRET}@127.0.0.1:${dead},127.0.0.1:${silent.port},127.0.0.1:${closer.port}/app`
    const { ms, value: r } = await timed(strataWithin(30_000, ['status', '--url', url, '--connect-timeout', '3s'], { cwd }))
    assert.is(r.code, 1, r.stderr)
    assert.ok(ms < 15_000, `exited after ${ms} ms`)
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${dead} refused the connection`))
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${silent.port} accepted the connection but did not answer within`))
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${closer.port} closed the connection before the login finished`))
    assert.ok(closer.connections() === 1, 'the silent host did not use up the time of the host after it')
    assert.match(r.stderr, /postgres:\/\/app:\*\*\*\*@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/app/)
    assert.not.ok((r.stdout + r.stderr).includes(SECRET))
  } finally {
    await silent.close()
    await closer.close()
  }
})

test('a multi-host URL with a dead first host logs in to the next one, and the target line says which', async () => {
  const dead = await deadPort()
  const u = new URL(db.url)
  const url = `postgres://${u.username}:${u.password}@127.0.0.1:${dead},127.0.0.1:${u.port}${u.pathname}`
  const r = await strataWithin(30_000, ['migrate', '--url', url, '--schema', 'multi'], { cwd })
  assert.is(r.code, 0, r.stderr)
  assert.match(
    r.stdout,
    new RegExp(
      `^target postgres://\\w+:\\*\\*\\*\\*@127\\.0\\.0\\.1:${dead},127\\.0\\.0\\.1:${u.port}/\\w+ .*via 127\\.0\\.0\\.1:${u.port} without TLS\\)`,
      'm',
    ),
  )
  assert.not.ok((r.stdout + r.stderr).includes(u.password))
})

test('--connect-timeout that is not a duration is a usage error (exit 2); so is STRATA_CONNECT_TIMEOUT', async () => {
  const r = await strataWithin(30_000, ['status', '--url', db.url, '--connect-timeout', 'soon'], { cwd })
  assert.is(r.code, 2)
  assert.match(r.stderr, /--connect-timeout "soon" is not a duration/)
  const env = await strataWithin(30_000, ['status', '--url', db.url], { cwd, env: { STRATA_CONNECT_TIMEOUT: 'soon' } })
  assert.is(env.code, 2)
  assert.match(env.stderr, /STRATA_CONNECT_TIMEOUT "soon" is not a duration/)
})

test('a library call that cannot log in settles, and leaves nothing running: the process exits by itself', async () => {
  const stub = await closesAfterStartup()
  const silent = await neverAnswers()
  try {
    const script = `
      import { status } from './src/index.ts'
      for (const port of [${stub.port}, ${silent.port}]) {
        await status({ url: 'postgres://app:pw@127.0.0.1:' + port + '/app', cwd: ${JSON.stringify(cwd)}, connectTimeoutMs: 1000 })
          .then(() => console.log('resolved'), (e) => console.log('rejected', e.code))
      }`
    const { ms, value } = await timed(runScript(script, 20_000))
    assert.equal(value.stdout.trim().split('\n'), ['rejected connection', 'rejected connection'], value.stderr)
    assert.is(value.code, 0, 'exited by itself, without process.exit')
    assert.ok(ms < 15_000, `took ${ms} ms`)
  } finally {
    await stub.close()
    await silent.close()
  }
})

test('unix socket URLs connect through the socket: ?host=<dir>&port=, and a %2F-encoded host', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-sock-'))
  const u = new URL(db.url)
  const port = 6400 + Math.floor(Math.random() * 500)
  const bridge = await socketToTcp(join(dir, `.s.PGSQL.${port}`), Number(u.port))
  try {
    const database = u.pathname.slice(1)
    const viaQuery = `postgres://${u.username}:${u.password}@/${database}?host=${dir}&port=${port}`
    const a = await strataWithin(30_000, ['migrate', '--url', viaQuery, '--schema', 'sock', '--expect-host', `${dir}`], { cwd })
    assert.is(a.code, 0, a.stderr)
    assert.match(a.stdout, new RegExp(`via ${dir}/\\.s\\.PGSQL\\.${port} without TLS\\)`))
    assert.ok(bridge.connections() >= 1, 'the connection went through the socket')
    const encoded = `postgres://${u.username}:${u.password}@${encodeURIComponent(dir)}:${port}/${database}`
    const before = bridge.connections()
    const b = await strataWithin(30_000, ['status', '--url', encoded, '--schema', 'sock'], { cwd })
    assert.is(b.code, 0, b.stderr)
    assert.match(b.stdout, /applied\s+migrations\/001_a\.sql/)
    assert.ok(bridge.connections() > before)
    const missing = await strataWithin(30_000, ['status', '--url', `postgres://x:${SECRET}@/db?host=${dir}&port=1`], { cwd })
    assert.is(missing.code, 1)
    assert.match(missing.stderr, new RegExp(`${dir}/\\.s\\.PGSQL\\.1 has no socket file`))
    for (const r of [a, b, missing]) assert.not.ok((r.stdout + r.stderr).includes(u.password) || (r.stdout + r.stderr).includes(SECRET))
  } finally {
    await bridge.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('isConnectionLost recognises a backend terminated mid-query (pg_terminate_backend), and nothing else', async () => {
  const sql = connect({ url: db.url })
  try {
    const [{ pid }] = await sql`select pg_backend_pid() as pid`
    const running = sql`select pg_sleep(10)`.execute().catch((e) => e)
    await new Promise((r) => setTimeout(r, 300))
    await db.sql`select pg_terminate_backend(${pid})`
    const lost = await running
    assert.ok(isConnectionLost(lost), `${lost?.code}: ${lost?.message}`)
    // The next query logs in again; the driver may first report the server's 57P01.
    const next = await sql`select 1 as one`.catch((e) => e)
    assert.ok(Array.isArray(next) || isConnectionLost(next), `${next?.code}: ${next?.message}`)
    const syntax = await sql`selec 1`.catch((e) => e)
    assert.is(syntax.code, '42601')
    assert.not.ok(isConnectionLost(syntax))
    const cancelled = await sql
      .begin(async (tx) => {
        await tx`set local statement_timeout = 50`
        await tx`select pg_sleep(1)`
      })
      .catch((e) => e)
    assert.is(cancelled.code, '57014')
    assert.not.ok(isConnectionLost(cancelled), 'a cancelled statement is not a lost connection')
  } finally {
    await sql.end({ timeout: 1 })
  }
  for (const code of [
    'CONNECTION_CLOSED',
    'CONNECTION_DESTROYED',
    'CONNECTION_ENDED',
    'ECONNRESET',
    'EPIPE',
    '57P01',
    '57P02',
    '57P03',
    '08006',
    '08P01',
  ]) {
    assert.ok(isConnectionLost(Object.assign(new Error(code), { code })), code)
  }
  assert.ok(isConnectionLost({ cause: { code: '57P01' } }))
  for (const e of [undefined, null, 'CONNECTION_CLOSED', new Error('x'), { code: '23505' }, { code: 'ECONNREFUSED' }])
    assert.not.ok(isConnectionLost(e))
})

function runScript(source: string, limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('exit', (code) => (clearTimeout(timer), done({ code, stdout, stderr })))
  })
}

test.run()
