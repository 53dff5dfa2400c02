import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { project, strata } from '../support/project.js'

const ci = { CI: 'true' } // as in CI: --embedded must be allowed explicitly

test('--embedded runs a real Postgres in .strata/pg, applies unqualified tables into public, and stops it', async () => {
  const cwd = project({
    'migrations/001_notes.sql': 'create table if not exists notes (id int primary key, body text);',
    'migrations/002_seed.sql': "insert into public.notes values (1, 'hello') on conflict (id) do nothing;",
  })
  chmodSync(cwd, 0o755) // as root the server runs as another user, who must reach .strata/pg
  const first = await strata(['migrate', '--embedded', '--allow-embedded-in-ci'], { cwd, env: ci })
  assert.is(first.code, 0, first.stderr)
  assert.match(first.stdout, /applied\s+migrations\/002_seed\.sql/)
  assert.ok(existsSync(join(cwd, '.strata/pg/PG_VERSION')))

  const again = await strata(['status', '--embedded', '--allow-embedded-in-ci', '--json'], { cwd, env: ci })
  assert.is(again.code, 0, again.stderr)
  assert.equal(
    JSON.parse(again.stdout).entries.map((e: { state: string }) => e.state),
    ['applied', 'applied'],
  )

  const pidFile = join(cwd, '.strata/pg/postmaster.pid')
  assert.not.ok(existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8').split('\n')[0])), 'the server is stopped at the end')
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

test.run()
