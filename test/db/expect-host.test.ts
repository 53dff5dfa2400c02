/**
 * --expect-host checks every host the driver may connect to, before connecting: each host of a multi-host URL,
 * and PGHOST (from the environment or .env) when the URL names none. The target line shows the host used.
 * Hosts other than 127.0.0.1 appear only in refusals, which happen before any connection.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)
const u = () => new URL(db.url)
const files = { 'migrations/001_a.sql': 'create table if not exists expect_hosts_t (id int);' }

async function applied(): Promise<boolean> {
  const [{ t }] = await db.sql`select to_regclass('expect_hosts_t') as t`
  return t !== null
}

test('a multi-host URL is refused when any of its hosts does not match, before connecting to the first', async () => {
  const cwd = project(files)
  const url = `postgres://${u().username}:${u().password}@127.0.0.1:${u().port},db.other.example:5432${u().pathname}`
  const r = await strata(['migrate', '--url', url, '--expect-host', '127.0.0.*'], { cwd })
  assert.is(r.code, 2, r.stderr)
  assert.match(
    r.stderr,
    /refusing to run against db\.other\.example \(one of the 2 hosts the URL names; each must match\): --expect-host is 127\.0\.0\.\*/,
  )
  assert.not.ok(await applied(), 'nothing ran on the first host')
  assert.not.ok((r.stdout + r.stderr).includes(u().password))
})

test('with no host in the URL, PGHOST from .env is what is checked', async () => {
  const cwd = project(files)
  writeFileSync(join(cwd, '.env'), `DATABASE_URL=postgres://${u().username}:${u().password}@${u().pathname}\nPGHOST=db.prod.example\n`)
  const r = await strata(['migrate', '--expect-host', '127.0.0.1'], { cwd })
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, /refusing to run against db\.prod\.example: --expect-host is 127\.0\.0\.1/)
  assert.match(r.stderr, /the URL names no host, so the driver connects to PGHOST/)
  assert.not.ok(await applied())
})

test('PGHOST and PGPORT that match are used, and the target line shows the host actually used', async () => {
  const cwd = project(files)
  writeFileSync(
    join(cwd, '.env'),
    `DATABASE_URL=postgres://${u().username}:${u().password}@${u().pathname}\nPGHOST=127.0.0.1\nPGPORT=${u().port}\n`,
  )
  const r = await strata(['migrate', '--expect-host', '127.0.0.1', '--schema', 'pghost'], { cwd })
  assert.is(r.code, 0, r.stderr)
  assert.match(
    r.stdout,
    new RegExp(`^target postgres://\\w+:\\*\\*\\*\\*@/\\w+ \\(PostgreSQL [^)]*, via 127\\.0\\.0\\.1:${u().port} without TLS\\)`, 'm'),
  )
  assert.ok(await applied())
})

test('a unix socket host is matched as its directory', async () => {
  const cwd = project(files)
  const url = `postgres://app:pw@/app?host=/var/run/postgresql`
  const wrong = await strata(['status', '--url', url, '--expect-host', 'db.example.com'], { cwd })
  assert.is(wrong.code, 2)
  assert.match(wrong.stderr, /refusing to run against \/var\/run\/postgresql: --expect-host is db\.example\.com/)
  const dirAndDb = await strata(['status', '--url', url, '--expect-host', '/tmp/*'], { cwd })
  assert.match(dirAndDb.stderr, /refusing to run against \/var\/run\/postgresql\/app: --expect-host is \/tmp\/\*/)
})

test.run()
