#!/usr/bin/env node
// A fresh database getting a whole history, as a first deploy or a CI job does: `strata migrate` in a directory
// with no lint cache (every file is parsed and linted before anything runs), against the server floor: the
// same SQL sent as one query by a Node process that only connects and sends it (postgres.js, as Strata uses).
// Whole processes, taking turns round by round; medians and the median of the per-round ratios. Also shown: the
// same migrate with the lint cache warm, which tells the lint's share.
// Usage: node bench/fresh.mjs [files=500] [--runs N]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateHistory, root, scratchPostgres, strataBin } from './support.mjs'

const args = process.argv.slice(2)
const runsAt = args.indexOf('--runs')
const runs = runsAt === -1 ? Number(process.env.BENCH_RUNS ?? 7) : Number(args.splice(runsAt, 2)[1])
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 500)

const dir = generateHistory(count)
const all = readdirSync(dir)
  .sort()
  .map((f) => readFileSync(join(dir, f), 'utf8'))
  .join('\n')
const floorScript = join(mkdtempSync(join(tmpdir(), 'bench-floor-')), 'floor.mjs')
// The floor: connect, send every file as one simple-protocol query, end. No ledger, no lint, no transaction per file.
writeFileSync(
  floorScript,
  `import postgres from ${JSON.stringify(join(root, 'node_modules/postgres/src/index.js'))}
import { readFileSync } from 'node:fs'
const sql = postgres(process.argv[2], { prepare: false, max: 1, onnotice: () => {} })
await sql.unsafe(readFileSync(process.argv[3], 'utf8'))
await sql.end()
`,
)
const allSql = join(tmpdir(), `bench-floor-${process.pid}.sql`)
writeFileSync(allSql, all)

function timed(command, argv, cwd) {
  const t0 = performance.now()
  const r = spawnSync(command, argv, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${argv.join(' ').slice(0, 120)} exited ${r.status}: ${(r.stderr || '').slice(-600)}`)
  return ms
}

const pg = await scratchPostgres()
const strata = []
const cached = []
const floor = []
// For comparison: the same run with the lint cache warm (what a second deploy from the same checkout does).
const warmCwd = mkdtempSync(join(tmpdir(), 'bench-fresh-warm-'))
try {
  timed(process.execPath, [strataBin, 'lint', '--format', 'json', dir], warmCwd)
  for (let round = 0; round < runs; round++) {
    // A new working directory each time: no .strata/cache/lint.json, so every file is linted.
    const cwd = mkdtempSync(join(tmpdir(), 'bench-fresh-'))
    strata.push(timed(process.execPath, [strataBin, 'migrate', '--url', await pg.database(), '--dir', dir], cwd))
    rmSync(cwd, { recursive: true, force: true })
    floor.push(timed(process.execPath, [floorScript, await pg.database(), allSql], tmpdir()))
    cached.push(timed(process.execPath, [strataBin, 'migrate', '--url', await pg.database(), '--dir', dir], warmCwd))
  }
} finally {
  rmSync(warmCwd, { recursive: true, force: true })
  await pg.stop()
  rmSync(allSql, { force: true })
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ratios = strata.map((s, i) => s / floor[i])
const cachedRatios = cached.map((s, i) => s / floor[i])
console.log(`a fresh database gets ${count} files: strata migrate with no lint cache vs the same SQL as one query; ${runs} rounds`)
console.log(`strata migrate (lint + apply)       ${median(strata).toFixed(0).padStart(6)} ms`)
console.log(`floor: one query from node          ${median(floor).toFixed(0).padStart(6)} ms`)
console.log(
  `ratio (median of rounds)            ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
)
console.log(
  `with the lint cache warm            ${median(cached).toFixed(0).padStart(6)} ms, ${median(cachedRatios).toFixed(2)}x the floor`,
)
