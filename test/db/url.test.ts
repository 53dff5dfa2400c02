/**
 * Connection URLs in every form libpq users write them: several hosts, unix sockets, an unescaped @ in the
 * password. No part of a password is ever printed, in any message, error or JSON document.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectionParams, describeTarget, maskUrl, parseUrl, scrubSecrets } from '../../src/db/url.js'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'
import { deadPort } from '../support/stubs.js'

const db = useFreshDatabase(test)
const cwd = project({ 'migrations/001_a.sql': 'create table if not exists url_t (id int);' })

/** Every run of 4 characters of the password: none may appear anywhere in the output. */
function assertNoPart(output: string, password: string) {
  for (let i = 0; i + 4 <= password.length; i++) {
    const part = password.slice(i, i + 4)
    assert.not.ok(output.includes(part), `"${part}" of the password appears in:\n${output}`)
  }
}

test('parseUrl reads multi-host, IPv6, unix-socket, query and unescaped-@ forms as libpq users mean them', () => {
  const multi = parseUrl('postgres://u:secret@h1:5432,h2:5433/db')
  assert.equal([multi.user, multi.password, multi.hosts, multi.ports, multi.database], ['u', 'secret', ['h1', 'h2'], [5432, 5433], 'db'])
  const at = parseUrl('postgres://u:p@ss@host/db')
  assert.equal([at.password, at.hosts], ['p@ss', ['host']], 'the last @ before the path ends the password')
  assert.equal(parseUrl('postgres://u:a?b:c@host/db').password, 'a?b:c')
  assert.equal(parseUrl('postgresql://[::1]:5433,h2/db?port=1,2').hosts, ['::1', 'h2'])
  assert.equal(parseUrl('postgresql://[::1]:5433,h2/db?port=1,2').ports, [1, 2], '?port= wins over the host part, as in libpq')
  assert.equal(parseUrl('postgres://u:pw@/db?host=/var/run/postgresql').hosts, ['/var/run/postgresql'])
  assert.equal(parseUrl('postgres://u:pw@%2Fvar%2Frun%2Fpostgresql:5433/db').hosts, ['/var/run/postgresql'])
  const q = parseUrl('postgres://u@h/db?password=p%26w&sslmode=require&application_name=a%20b&dbname=other')
  assert.equal([q.password, q.database, q.params], ['p&w', 'other', { sslmode: 'require', application_name: 'a b' }])
})

test('connectionParams fills what the URL lacks from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE', () => {
  const env = { PGHOST: 'a.example.com,/run/pg', PGPORT: '6000,6001', PGUSER: 'me', PGPASSWORD: 'x', PGDATABASE: 'app' }
  assert.equal(connectionParams('postgres://', env), {
    endpoints: [
      { host: 'a.example.com', port: 6000 },
      { host: '/run/pg', port: 6001, socket: '/run/pg/.s.PGSQL.6001' },
    ],
    user: 'me',
    password: 'x',
    database: 'app',
    params: {},
  })
  const own = connectionParams('postgres://u:pw@db.example.com/x', { ...env, PGPORT: '6000' })
  assert.equal([own.endpoints, own.user, own.password, own.database], [[{ host: 'db.example.com', port: 6000 }], 'u', 'pw', 'x'])
  assert.equal(connectionParams('postgres://u@/x', {}).endpoints, [{ host: 'localhost', port: 5432 }])
  assert.equal(describeTarget('postgres:///x', { PGHOST: 'pg.internal' }).host, 'pg.internal')
})

test('maskUrl hides the whole password in every form, and scrubSecrets removes it from any text', () => {
  const cases: [string, string][] = [
    ['postgres://u:secret@h1:5432,h2:5433/db', 'postgres://u:****@h1:5432,h2:5433/db'],
    ['postgres://u:p@ss-w0rd@host/db', 'postgres://u:****@host/db'],
    ['postgres://u:a?b-cd@host:5432/db?sslmode=require', 'postgres://u:****@host:5432/db?sslmode=require'],
    ['postgres://u:pw12@%2Ftmp/db', 'postgres://u:****@%2Ftmp/db'],
    ['postgres://u@host/db?password=hunter22&sslpassword=keypass', 'postgres://u@host/db?password=****&sslpassword=****'],
    // Not valid (a / in the password, a bad port): user and password are both hidden, up to the last @.
    ['postgres://u:pa/ss-word@host/db', 'postgres://****@host/db'],
    ['postgres://u:topsecret@h1:5432,h2:abc/db', 'postgres://****@h1:5432,h2:abc/db'],
  ]
  for (const [url, masked] of cases) assert.is(maskUrl(url), masked, url)
  const url = 'postgres://u:p@ss-w0rd@host/db'
  assert.is(
    scrubSecrets(`login with p@ss-w0rd failed; also p%40ss-w0rd and ${url}`, url),
    'login with **** failed; also **** and postgres://u:****@host/db',
  )
})

test('an invalid URL is a configuration error (exit 2) with a reason that quotes no part of it', async () => {
  const password = 'Qx7/Zr9@Kp2'
  for (const url of [
    `postgres://app:${password}@db.example.com/app`, // a / in the password ends the host part early
    `postgres://app:Qx7Zr9Kp2@h1:5432,h2:5x/app`,
    `postgres://app:Qx7%Zr9Kp2@db.example.com/app`,
    `postgres://app:Qx7Zr9Kp2@h1,h2/app?port=1,2,3`,
  ]) {
    for (const json of [false, true]) {
      const r = await strata(['status', '--url', url, ...(json ? ['--json'] : [])], { cwd })
      assert.is(r.code, 2, `${url}: ${r.stderr}`)
      const message = json ? JSON.parse(r.stdout).error.message : r.stderr
      assert.match(message, /the database URL is not valid: /)
      assertNoPart(r.stdout + r.stderr, url.includes(password) ? password : 'Qx7Zr9Kp2')
      assertNoPart(r.stdout + r.stderr, 'Qx7%Zr9Kp2')
    }
  }
})

test('connection failures never print any part of the password, whatever the URL form', async () => {
  const dead = await deadPort()
  const password = 'Vb3@Lm8?Tq5:Wz'
  const u = new URL(db.url)
  const forms = [
    `postgres://app:${password}@127.0.0.1:${dead}/app`,
    `postgres://app:${password}@127.0.0.1:${dead},127.0.0.1:${dead}/app`,
    `postgres://app@127.0.0.1:${dead}/app?password=${encodeURIComponent(password)}`,
    // A wrong password that the real server refuses.
    `postgres://${u.username}:${password}@127.0.0.1:${u.port},127.0.0.1:${dead}${u.pathname}`,
  ]
  for (const url of forms) {
    for (const args of [['status'], ['migrate', '--json'], ['verify', '--format', 'github']]) {
      const r = await strata([...args, '--url', url], { cwd })
      assert.is(r.code, 1, `${url} ${args}: ${r.stderr}`)
      assertNoPart(r.stdout + r.stderr, password)
      assertNoPart(r.stdout + r.stderr, encodeURIComponent(password))
    }
  }
  const viaEnv = await strata(['migrate'], { cwd, env: { DATABASE_URL: forms[3] } })
  assert.is(viaEnv.code, 1)
  assert.match(viaEnv.stderr, /\(at 127\.0\.0\.1:\d+\): password authentication failed/, 'names the host that refused the login')
  assert.match(viaEnv.stderr, /postgres:\/\/\w+:\*\*\*\*@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\//)
  assertNoPart(viaEnv.stdout + viaEnv.stderr, password)
})

test.run()
