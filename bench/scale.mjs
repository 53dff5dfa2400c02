#!/usr/bin/env node
// npm run bench:scale: issue 7, "Scale". Whole `strata` processes against the embedded Postgres:
//   a. apply 500 and 5,000 generated files to empty databases: wall time and peak RSS (must not grow with the history)
//   b. with 5,000 applied: `strata status` and a no-op `strata migrate`, median of 5 (goal: under 1 s)
//   c. one 50 MB seed-data file, two shapes (many multi-row INSERTs; a few giant INSERTs): peak RSS and time,
//      for `strata migrate`, `strata lint` and `strata verify` on the same file
// Options: `--sizes 500,5000` (history sizes), `--seed-mb 50`, `--only history|status|seed` (repeatable).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fmt, generateHistory, generateSeed, scratchPostgres, strataBin } from './support.mjs'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : args[at + 1]
}
const sizes = option('sizes', '500,5000').split(',').map(Number)
const seedMb = Number(option('seed-mb', 50))
const only = args.flatMap((a, i) => (args[i - 1] === '--only' ? [a] : []))
const wanted = (part) => only.length === 0 || only.includes(part)
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const procfs = existsSync('/proc/self/status')
const cleanup = []

/**
 * One whole `strata` process: wall ms and peak RSS in MB, from GNU time's %M, else from VmHWM in
 * /proc/<pid>/status, polled. It runs in a fresh directory, so the lint cache (.strata/cache in the
 * working directory) never answers for it: these are cold runs.
 */
function strata(argv) {
  const cwd = mkdtempSync(join(tmpdir(), 'strata-scale-cwd-'))
  cleanup.push(cwd)
  const [cmd, cmdArgs] = gnuTime
    ? [gnuTime, ['-f', 'maxrss_kb=%M', process.execPath, strataBin, ...argv]]
    : [process.execPath, [strataBin, ...argv]]
  const t0 = performance.now()
  const child = spawn(cmd, cmdArgs, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  let hwmKb = NaN
  child.stderr.on('data', (d) => (stderr += d))
  const poll =
    !gnuTime && procfs
      ? setInterval(() => {
          try {
            hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? hwmKb)
          } catch {}
        }, 10)
      : undefined
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      clearInterval(poll)
      const ms = performance.now() - t0
      const kb = gnuTime ? Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? NaN) : hwmKb
      if (code !== 0 && !(argv[0] === 'lint' && code === 1))
        reject(new Error(`strata ${argv.join(' ')} exited ${code}: ${stderr.slice(-1500)}`))
      else resolve({ ms, mb: kb / 1024 })
    })
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (x) => (Number.isNaN(x) ? '?' : `${x.toFixed(0)} MB`)
const s = (ms) => `${(ms / 1000).toFixed(1)} s`

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; peak RSS from ${gnuTime ? 'GNU time' : procfs ? '/proc VmHWM' : 'nowhere (no GNU time, no /proc)'}`,
)
const history = []
const goals = []
const pg = await scratchPostgres()
try {
  let applied5000
  if (wanted('history') || wanted('status')) {
    for (const count of wanted('history') ? sizes : [Math.max(...sizes)]) {
      const dir = generateHistory(count)
      cleanup.push(dir)
      const url = await pg.database()
      const r = await strata(['migrate', '--url', url, '--dir', dir])
      history.push({ count, ...r })
      console.log(`apply ${String(count).padStart(5)} files to an empty database: ${s(r.ms).padStart(7)}   peak RSS ${mb(r.mb)}`)
      if (count === Math.max(...sizes)) applied5000 = { url, dir, count }
    }
  }
  if (wanted('status') && applied5000) {
    const { url, dir, count } = applied5000
    for (const command of ['status', 'migrate']) {
      await strata([command, '--url', url, '--dir', dir]) // warm-up
      const runs = []
      for (let i = 0; i < 5; i++) runs.push(await strata([command, '--url', url, '--dir', dir]))
      goals.push([
        `${command === 'status' ? 'status' : 'no-op migrate'}, ${count} applied files (median of 5)`,
        fmt(median(runs.map((r) => r.ms))),
        '< 1 s',
        median(runs.map((r) => r.ms)) < 1000,
      ])
      const label = command === 'status' ? 'status' : 'no-op migrate'
      console.log(
        `${label}, ${count} applied files: median ${fmt(median(runs.map((r) => r.ms)))} (max ${fmt(Math.max(...runs.map((r) => r.ms)))})   peak RSS ${mb(Math.max(...runs.map((r) => r.mb)))}`,
      )
    }
  }
  if (wanted('seed')) {
    for (const [shape, rowsPerInsert] of [
      ['1,000-row INSERTs', 1000],
      ['giant INSERTs (100,000 rows each)', 100_000],
    ]) {
      const dir = mkdtempSync(join(tmpdir(), 'strata-seed-'))
      cleanup.push(dir)
      const file = join(dir, '001_seed.sql')
      const rows = generateSeed(file, seedMb, rowsPerInsert)
      const size = statSync(file).size / 2 ** 20
      const lint = await strata(['lint', dir])
      const url = await pg.database()
      const r = await strata(['migrate', '--url', url, '--dir', dir])
      const verify = await strata(['verify', '--url', url, '--dir', dir])
      console.log(
        `seed ${size.toFixed(0)} MB, ${rows} rows, ${shape}: migrate ${s(r.ms)}, peak RSS ${mb(r.mb)};  lint ${s(lint.ms)}, peak RSS ${mb(lint.mb)};  verify ${s(verify.ms)}, peak RSS ${mb(verify.mb)}`,
      )
    }
  }
  if (history.length >= 2) {
    const [small, large] = [history[0], history[history.length - 1]]
    const growth = large.mb / small.mb
    goals.push([
      `peak RSS, ${large.count} vs ${small.count} files applied`,
      `${mb(large.mb)} vs ${mb(small.mb)} (${growth.toFixed(2)}x)`,
      'flat',
      null,
    ])
  }
  if (goals.length) {
    console.log('\nscale target                                        measured                  goal')
    for (const [what, got, goal, ok] of goals) console.log(`${what.padEnd(52)}${got.padEnd(26)}${goal}${ok === false ? '  MISSED' : ''}`)
  }
} finally {
  await pg.stop()
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true })
}
