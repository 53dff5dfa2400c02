/**
 * TLS from the URL's sslmode and --ssl-ca, against a real Postgres started here with ssl=on and a
 * certificate from a throwaway CA (made with openssl), and against the test server, which has no TLS.
 * Whatever fails, the password never appears in the output.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { describeConnection } from '../../src/db/supabase.js'
import { tlsSettings } from '../../src/db/tls.js'
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js'
import { adminUrl } from '../support/db.js'
import { project, repoRoot, strata } from '../support/project.js'
import { testUnless } from '../support/skip.js'

const work = mkdtempSync(join(tmpdir(), 'strata-tls-'))
chmodSync(work, 0o755) // as root the server runs as another user, who must reach its data dir
const hasOpenssl = spawnSync('openssl', ['version']).status === 0
const withServer = testUnless(hasOpenssl ? undefined : 'openssl is not installed: the TLS server tests need it to make certificates')

let server: EmbeddedServer
let ca: string
test.before(async () => {
  if (!hasOpenssl) return
  ca = makeCertificates(work)
  server = await startEmbedded({ dataDir: join(work, 'pg'), ephemeral: true })
  await enableTls(server.url, join(work, 'pg'))
})
test.after(async () => {
  await server?.stop()
  rmSync(work, { recursive: true, force: true })
})

const cwd = project({ 'migrations/001_a.sql': 'create table if not exists tls_t (id int);' })
const withQuery = (url: string, query: string, host?: string) => {
  const u = new URL(url)
  if (host) u.hostname = host
  return `${u.toString()}${query}`
}
const password = () => decodeURIComponent(new URL(server.url).password)

test('describeConnection tells the Supabase transaction pooler, session pooler and direct connection apart', () => {
  const tx = describeConnection('postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres')
  assert.is(tx.kind, 'supabase-transaction-pooler')
  assert.match(tx.note!, /transaction pooler \(port 6543\): supported/)
  assert.is(
    describeConnection('postgresql://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres').kind,
    'supabase-session-pooler',
  )
  assert.is(
    describeConnection('postgresql://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com/postgres').kind,
    'supabase-session-pooler',
  )
  const direct = describeConnection('postgres://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres')
  assert.is(direct.kind, 'supabase-direct')
  assert.match(direct.note!, /IPv6/)
  assert.match(
    describeConnection('postgres://postgres:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres').note!,
    /postgres\.<project-ref>/,
  )
  assert.equal(describeConnection('postgres://app:pw@db.example.com/app'), { kind: 'other' })
  assert.equal(describeConnection('not a url'), { kind: 'other' })
})

test('sslmode maps to the driver: disable, prefer, require, verify-ca, verify-full; our parameters never reach the server', () => {
  const base = 'postgres://app:pw@db.example.com:5432/app'
  assert.is(tlsSettings(`${base}?sslmode=disable`).ssl, false)
  assert.is(tlsSettings(`${base}?sslmode=prefer`).ssl, 'prefer')
  assert.is(tlsSettings(`${base}?sslmode=require`).ssl, 'require')
  const full = tlsSettings(`${base}?sslmode=verify-full&application_name=x&pgbouncer=true&connection_limit=1&connect_timeout=3`)
  assert.is((full.ssl as { rejectUnauthorized: boolean }).rejectUnauthorized, true)
  assert.equal(
    full.params,
    { application_name: 'x' },
    'sslmode, connect_timeout and the Prisma pool settings are taken out; other parameters stay',
  )
  const verifyCa = tlsSettings(`${base}?sslmode=verify-ca`).ssl as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown }
  assert.is(verifyCa.rejectUnauthorized, true)
  assert.is(verifyCa.checkServerIdentity(), undefined, 'verify-ca does not check the host name')
  assert.is(
    tlsSettings('postgres://postgres.ref:pw@aws-0-us-east-1.pooler.supabase.com:6543/postgres').mode,
    'require',
    'Supabase: encrypted by default',
  )
  assert.throws(
    () => tlsSettings(`${base}?sslmode=always`),
    /sslmode=always in the database URL is not one of disable, allow, prefer, require, verify-ca, verify-full/,
  )
  assert.throws(
    () => tlsSettings(base, { sslCa: '/nonexistent/ca.pem' }),
    /cannot read the CA certificate file \/nonexistent\/ca\.pem: ENOENT/,
  )
})

test('without sslmode, TLS is tried first (prefer) for a host across a network; loopback and unix sockets stay plain', () => {
  const mode = (url: string, env = {}) => tlsSettings(url, { env }).mode
  assert.is(mode('postgres://app:pw@db.example.com/app'), 'prefer')
  assert.is(mode('postgres://app:pw@10.1.2.3:5432/app'), 'prefer')
  assert.is(mode('postgres://app:pw@127.0.0.1,db.example.com/app'), 'prefer', 'any host across a network')
  for (const local of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '%2Fvar%2Frun%2Fpostgresql']) {
    assert.is(mode(`postgres://app:pw@${local}:5432/app`), undefined, local)
  }
  assert.is(mode('postgres://app:pw@/app?host=/tmp'), undefined)
  assert.is(mode('postgres://app:pw@/app', { PGHOST: 'db.example.com' }), 'prefer', 'PGHOST counts')
  assert.is(mode('postgres://app:pw@db.example.com/app?sslmode=disable'), 'disable')
  assert.is(mode('postgres://app:pw@db.example.com/app', { PGSSLMODE: 'require' }), 'require', 'PGSSLMODE, as libpq reads it')
  assert.is(tlsSettings('postgres://app:pw@db.example.com/app?sslmode=disable').ssl, false)
})

test('sslmode=require against a server without TLS fails with a clear error and no password, in text and JSON', async () => {
  const url = withQuery(adminUrl(), '?sslmode=require')
  const secret = decodeURIComponent(new URL(adminUrl()).password)
  const text = await strata(['status', '--url', url], { cwd })
  const json = await strata(['status', '--json'], { cwd, env: { DATABASE_URL: url } })
  for (const r of [text, json]) {
    assert.is(r.code, 1)
    assert.not.ok((r.stdout + r.stderr).includes(secret), 'no password in the output')
  }
  assert.match(text.stderr, /the server does not accept TLS connections \(sslmode=require\)/)
  assert.match(text.stderr, /:\*\*\*\*@/)
  assert.match(JSON.parse(json.stdout).error.message, /does not accept TLS/)
})

withServer('sslmode=require encrypts without verifying; the session really is TLS', async () => {
  const r = await strata(['migrate', '--url', withQuery(server.url, '?sslmode=require')], { cwd })
  assert.is(r.code, 0, r.stderr)
  const sql = postgres(withQuery(server.url, ''), { ssl: 'require', max: 1, prepare: false, onnotice: () => {} })
  const [row] = await sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`
  await sql.end()
  assert.ok(row.ssl)
})

withServer(
  'verify-full: refused without the CA, accepted with --ssl-ca when the host name matches; verify-ca ignores the name',
  async () => {
    const fullByIp = withQuery(server.url, '?sslmode=verify-full')
    const untrusted = await strata(['status', '--url', fullByIp], { cwd })
    assert.is(untrusted.code, 1)
    assert.match(untrusted.stderr, /not signed by a trusted CA/)
    assert.match(untrusted.stderr, /--ssl-ca/)
    const wrongName = await strata(['status', '--url', fullByIp, '--ssl-ca', ca], { cwd })
    assert.is(wrongName.code, 1)
    assert.match(wrongName.stderr, /issued for another host name/)
    const byName = await strata(['status', '--url', withQuery(server.url, '', 'localhost'), '--ssl-ca', ca], { cwd })
    assert.is(byName.code, 0, byName.stderr + ' (--ssl-ca alone means verify-full)')
    const caOnly = await strata(['status', '--url', withQuery(server.url, '?sslmode=verify-ca'), '--ssl-ca', ca], { cwd })
    assert.is(caOnly.code, 0, caOnly.stderr)
    const viaEnv = await strata(['status', '--url', withQuery(server.url, '?sslmode=verify-ca')], { cwd, env: { PGSSLROOTCERT: ca } })
    assert.is(viaEnv.code, 0, viaEnv.stderr)
    for (const r of [untrusted, wrongName, byName, caOnly]) assert.not.ok((r.stdout + r.stderr).includes(password()))
  },
)

withServer('a wrong password over TLS, and TLS failures in backup and restore, never print the password', async () => {
  const u = new URL(server.url)
  const secret = 'Wr0ng-S3cret-over-TLS'
  u.password = secret
  const badLogin = await strata(['status', '--url', `${u.toString()}?sslmode=require`], { cwd })
  assert.is(badLogin.code, 1)
  assert.match(badLogin.stderr, /password authentication failed/)
  const failures = [
    badLogin,
    await strata(['backup', '--url', `${u.toString()}?sslmode=verify-full`], { cwd }),
    await strata(['restore', 'nowhere', '--url', withQuery(server.url, '?sslmode=verify-full')], { cwd }),
    await strata(['migrate', '--json', '--url', withQuery(server.url, '?sslmode=verify-full')], { cwd }),
  ]
  for (const r of failures) {
    assert.ok(r.code !== 0)
    const all = r.stdout + r.stderr
    assert.not.ok(all.includes(secret) || all.includes(password()), `no password in: ${all}`)
  }
})

/** The CLI with `*.strata.test` resolving to 127.0.0.1 (test/support/test-hosts.mjs): a host name that is not loopback. */
const acrossNetwork = (args: string[], cwd: string) =>
  strata(args, { cwd, env: { NODE_OPTIONS: `--import ${join(repoRoot, 'test/support/test-hosts.mjs')}` } })

/** A project whose one migration records whether its own connection is encrypted, as the server sees it. */
const recordsTls = (table: string) =>
  project({
    [`migrations/001_${table}.sql`]: `create table if not exists ${table} as select ssl from pg_stat_ssl where pid = pg_backend_pid();`,
  })

async function serverSaw(table: string): Promise<boolean> {
  const sql = postgres(server.url, { max: 1, prepare: false, onnotice: () => {} })
  const [row] = await sql.unsafe(`select ssl from ${table}`)
  await sql.end()
  return row.ssl
}

withServer('without sslmode, a host across a network is reached over TLS; the target line says so and pg_stat_ssl agrees', async () => {
  const remote = withQuery(server.url, '', 'db.strata.test')
  const tls = await acrossNetwork(['migrate', '--url', remote, '--schema', 'tls_default'], recordsTls('seen_default'))
  assert.is(tls.code, 0, tls.stderr)
  assert.match(tls.stdout, /^target postgres:\/\/postgres:\*\*\*\*@db\.strata\.test:\d+\/postgres \(.*via db\.strata\.test:\d+ with TLS\)/m)
  assert.is(await serverSaw('seen_default'), true)

  const off = await acrossNetwork(['migrate', '--url', `${remote}?sslmode=disable`, '--schema', 'tls_off'], recordsTls('seen_off'))
  assert.is(off.code, 0, off.stderr)
  assert.match(off.stdout, /via db\.strata\.test:\d+ without TLS\)/)
  assert.is(await serverSaw('seen_off'), false, 'sslmode=disable still turns it off')

  const loopback = await strata(['migrate', '--url', server.url, '--schema', 'tls_loopback'], { cwd: recordsTls('seen_loopback') })
  assert.is(loopback.code, 0, loopback.stderr)
  assert.match(loopback.stdout, /via 127\.0\.0\.1:\d+ without TLS\)/)
  assert.is(await serverSaw('seen_loopback'), false, 'loopback stays plain: nothing crosses a network')
})

test('without sslmode, a host across a network that offers no TLS is still reached, and the target line says without TLS', async () => {
  const r = await acrossNetwork(['status', '--url', withQuery(adminUrl(), '', 'db.strata.test')], cwd)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /via db\.strata\.test:\d+ without TLS\)/)
})

withServer('verify-full checks the certificate against the host actually connected to, in a multi-host URL', async () => {
  const { port, username, pathname } = new URL(server.url)
  const url = `postgres://${username}:${encodeURIComponent(password())}@127.0.0.1:1,localhost:${port}${pathname}`
  const r = await strata(['status', '--url', url, '--ssl-ca', ca], { cwd })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`via localhost:${port} with TLS\\)`))
  assert.not.ok((r.stdout + r.stderr).includes(password()))
})

/** A CA and a server certificate for `localhost` signed by it; returns the CA file. */
function makeCertificates(dir: string): string {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`)
  }
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=strata test CA'])
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n')
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ])
  return join(dir, 'ca.crt')
}

/** ssl=on takes effect on reload; the key must belong to the server's user and be private to it. */
async function enableTls(url: string, dataDir: string): Promise<void> {
  const owner = statSync(dataDir)
  for (const f of ['server.crt', 'server.key']) {
    const to = join(dataDir, f)
    copyFileSync(join(work, f), to)
    chmodSync(to, 0o600)
    chownSync(to, owner.uid, owner.gid)
  }
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} })
  await sql.unsafe(`alter system set ssl = on`)
  await sql`select pg_reload_conf()`
  for (let i = 0; i < 50; i++) {
    const [{ ssl }] = await sql`select current_setting('ssl') as ssl`
    if (ssl === 'on') break
    await new Promise((r) => setTimeout(r, 100))
  }
  await sql.end()
}

test.run()
