#!/usr/bin/env node
// Times `strata lint` against squawk-cli on the same corpus files, as whole processes:
// the median of 5 runs each (interleaved, after one warm-up run each, so both see a warm file cache).
// Usage: node bench/lint.mjs [corpus dir] [--runs N]    (default corpus: ../shared/corpus)
// squawk-cli is installed with --no-save on first use (bench/peers.mjs)
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { ensurePeers } from './peers.mjs'

const repo = resolve(new URL('..', import.meta.url).pathname)
const args = process.argv.slice(2)
const runsFlag = args.indexOf('--runs')
const runs = runsFlag === -1 ? 5 : Number(args.splice(runsFlag, 2)[1])
const corpus = resolve(args[0] ?? join(repo, '..', 'shared', 'corpus'))

if (!existsSync(corpus)) {
  console.error(`no corpus at ${corpus}; pass its path as the first argument`)
  process.exit(2)
}
if (!existsSync(join(repo, 'dist', 'cli', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(2)
}

// Paths relative to the repo, as a user would type them. strata takes the project directories; squawk takes
// no directories, so it gets one `<dir>/**/*.sql` pattern per project (which it expands itself): the same
// files. (A list of 1,520 file names does not fit through npx, which passes its arguments to a shell as one string.)
const directories = readdirSync(corpus, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => relative(repo, join(corpus, entry.name)))
const files = directories.flatMap(function sqlFiles(directory) {
  return readdirSync(join(repo, directory), { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sqlFiles(path)
    return entry.name.endsWith('.sql') ? [path] : []
  })
})
const patterns = directories.map((directory) => `${directory}/**/*.sql`)

const strataLint = [join(repo, 'bin', 'strata.js'), 'lint', '--format', 'json']
const contenders = [
  // Cold: every file parsed and linted, as on a fresh CI checkout.
  {
    name: 'strata --no-cache',
    command: process.execPath,
    args: [...strataLint, '--no-cache', ...directories],
    count: (out) => JSON.parse(out).length,
  },
  // Warm: unchanged files answered from .strata/cache/lint.json, as on a developer's machine or a cached CI job.
  { name: 'strata (cache warm)', command: process.execPath, args: [...strataLint, ...directories], count: (out) => JSON.parse(out).length },
]
ensurePeers(['squawk'])
const squawkBin = join(repo, 'node_modules', '.bin', 'squawk')
if (existsSync(squawkBin)) {
  const squawkArgs = ['--reporter', 'json', ...patterns]
  const count = (out) => JSON.parse(out).length
  contenders.push({ name: 'npx squawk', command: 'npx', args: ['--no-install', 'squawk', ...squawkArgs], count })
  contenders.push({ name: 'squawk (node_modules/.bin, no npx)', command: squawkBin, args: squawkArgs, count })
  // node_modules/.bin/squawk is a Node script that starts the binary: the binary alone is what squawk costs.
  const native = join(repo, 'node_modules', '@squawk-cli', `${process.platform}-${process.arch}`, 'bin', 'squawk')
  if (existsSync(native)) contenders.push({ name: 'squawk native binary', command: native, args: squawkArgs, count })
} else {
  console.error('squawk-cli could not be installed; timing strata alone.')
}

function runOnce(contender) {
  const started = performance.now()
  const result = spawnSync(contender.command, contender.args, { cwd: repo, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  const ms = performance.now() - started
  if (result.error) throw result.error
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`${contender.name} exited ${result.status}: ${result.stderr.slice(0, 500)}`)
  }
  return { ms, findings: contender.count(result.stdout) }
}

const samples = new Map(contenders.map((contender) => [contender.name, []]))
const findings = new Map()
for (const contender of contenders) findings.set(contender.name, runOnce(contender).findings) // warm-up
for (let run = 0; run < runs; run++) {
  for (const contender of contenders) samples.get(contender.name).push(runOnce(contender).ms)
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const rows = contenders.map((contender) => {
  const times = samples.get(contender.name)
  return [
    contender.name,
    median(times).toFixed(0),
    Math.min(...times).toFixed(0),
    Math.max(...times).toFixed(0),
    String(findings.get(contender.name)),
  ]
})
const header = ['command', 'median ms', 'min ms', 'max ms', 'findings']
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
const line = (cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')
console.log(`lint ${files.length} files (${directories.length} projects) in ${relative(repo, corpus) || corpus}; ${runs} runs each`)
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`)
console.log(line(header))
for (const row of rows) console.log(line(row))
// Ratios run by run (the tools took turns, so each pair ran seconds apart), then their median.
const nativeTimes = samples.get('squawk native binary')
if (nativeTimes) {
  for (const name of ['strata --no-cache', 'strata (cache warm)']) {
    const ratios = samples.get(name).map((ms, i) => ms / nativeTimes[i])
    console.log(
      `${name} / squawk native binary: ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
    )
  }
}
