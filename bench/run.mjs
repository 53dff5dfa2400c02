#!/usr/bin/env node
// npm run bench: Strata against the tools people would otherwise use, same machine, same run.
//   1. apply a generated history of N files (default 500) to an empty database
//   2. a no-op migrate with all N applied
//   3. lint of ../shared/corpus, Strata vs squawk (bench/lint.mjs)
//   4. peak memory (max RSS of the whole process, from GNU time when present)
// Prints medians and ratios, and writes docs/benchmarks.md with the machine and versions (--write).
import { spawnSync, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { generateHistory, root, scratchPostgres, strataBin } from './support.mjs'
import { ensurePeers } from './peers.mjs'

const args = process.argv.slice(2)
const write = args.includes('--write')
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 500)
const runs = Number(process.env.BENCH_RUNS ?? 5)
const bin = (name) => join(root, 'node_modules/.bin', name)
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const psql = ['/usr/bin/psql', '/usr/local/bin/psql'].find(existsSync) ?? null

/** One whole-process run: wall ms and peak RSS in MB (when GNU time is there). */
function runOnce(cmd, argv, env = {}) {
  const full = gnuTime ? [gnuTime, ['-f', '%M', cmd, ...argv]] : [cmd, argv]
  const t0 = performance.now()
  const r = spawnSync(full[0], full[1], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ').slice(0, 200)} exited ${r.status}: ${(r.stderr || '').slice(-800)}`)
  const kb = gnuTime ? Number(r.stderr.trim().split('\n').pop()) : NaN
  return { ms, mb: kb / 1024 }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Each tool's own file layout for the same history. */
function layouts(strataDir) {
  const files = readdirSync(strataDir).sort()
  const dbmateDir = mkdtempSync(join(tmpdir(), 'bench-dbmate-'))
  const npmDir = mkdtempSync(join(tmpdir(), 'bench-npm-'))
  const all = []
  for (const f of files) {
    const body = readFileSync(join(strataDir, f), 'utf8')
    writeFileSync(join(dbmateDir, f), `-- migrate:up\n${body}\n-- migrate:down\n`)
    writeFileSync(join(npmDir, f), `-- Up Migration\n${body}\n-- Down Migration\n`)
    all.push(body)
  }
  const allSql = join(mkdtempSync(join(tmpdir(), 'bench-psql-')), 'all.sql')
  writeFileSync(allSql, all.join('\n'))
  return { dbmateDir, npmDir, allSql }
}

const tools = (dir, l) => [
  { name: 'strata (per-file transactions)', apply: (url) => [process.execPath, [strataBin, 'migrate', '--url', url, '--dir', dir]] },
  {
    name: 'strata --single-transaction',
    apply: (url) => [process.execPath, [strataBin, 'migrate', '--single-transaction', '--url', url, '--dir', dir]],
    noop: false,
  },
  {
    name: 'dbmate',
    apply: (url) => [bin('dbmate'), ['--url', withSslDisabled(url), '--migrations-dir', l.dbmateDir, '--no-dump-schema', 'up']],
  },
  {
    name: 'node-pg-migrate',
    apply: (url) => [
      bin('node-pg-migrate'),
      ['up', '-m', l.npmDir, '--migrations-table', 'pgmigrations', '--no-verbose'],
      { DATABASE_URL: url },
    ],
  },
  ...(psql
    ? [
        {
          name: 'psql -1 -f all.sql (floor)',
          apply: (url) => [psql, ['-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', l.allSql, url]],
          noop: false,
        },
      ]
    : []),
]

function withSslDisabled(url) {
  const u = new URL(url)
  u.searchParams.set('sslmode', 'disable')
  return u.toString()
}

function versions() {
  const v = (pkg) => {
    try {
      return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version
    } catch {
      return 'not installed'
    }
  }
  const psqlVersion = psql ? execFileSync(psql, ['--version'], { encoding: 'utf8' }).trim() : 'not installed'
  return {
    strata: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
    dbmate: v('dbmate'),
    'node-pg-migrate': v('node-pg-migrate'),
    'squawk-cli': v('squawk-cli'),
    psql: psqlVersion,
    node: process.version,
  }
}

ensurePeers()
const pg = await scratchPostgres()
const results = []
try {
  const dir = generateHistory(count)
  const l = layouts(dir)
  const list = tools(dir, l)
  const samples = list.map(() => ({ apply: [], mem: [], noop: [], url: '' }))
  // Rounds, each tool once per round: the server's background work (checkpoints, autovacuum of the databases
  // made so far) falls on every tool alike instead of on whichever runs last.
  for (let round = 0; round < runs; round++) {
    for (const [i, tool] of list.entries()) {
      const url = await pg.database()
      const [cmd, argv, env] = tool.apply(url)
      const r = runOnce(cmd, argv, env)
      samples[i].apply.push(r.ms)
      samples[i].mem.push(r.mb)
      samples[i].url = url
    }
  }
  for (let round = 0; round <= Math.max(5, runs); round++) {
    for (const [i, tool] of list.entries()) {
      if (tool.noop === false) continue
      const [cmd, argv, env] = tool.apply(samples[i].url)
      const { ms } = runOnce(cmd, argv, env)
      if (round > 0) samples[i].noop.push(ms) // round 0 warms up
    }
  }
  for (const [i, tool] of list.entries()) {
    const s = samples[i]
    const row = { name: tool.name, apply: median(s.apply), noop: s.noop.length ? median(s.noop) : null, mb: Math.max(...s.mem) }
    results.push(row)
    console.log(
      `${row.name.padEnd(34)} apply ${row.apply.toFixed(0).padStart(6)} ms   no-op ${row.noop === null ? '     -' : row.noop.toFixed(0).padStart(5) + ' ms'}   peak ${Number.isNaN(row.mb) ? '?' : row.mb.toFixed(0)} MB`,
    )
  }
} finally {
  await pg.stop()
}

const by = (name) => results.find((r) => r.name.startsWith(name))
const strata = by('strata (per-file')
const single = by('strata --single')
const dbmate = by('dbmate')
const floor = by('psql')
const ratio = (a, b) => (a && b ? (a / b).toFixed(2) + 'x' : 'n/a')
const targets = [
  ['apply per-file vs dbmate', ratio(strata.apply, dbmate?.apply), '<= 0.75x'],
  ['apply per-file vs psql floor', ratio(strata.apply, floor?.apply), '<= 1.3x'],
  ['--single-transaction vs psql floor', ratio(single.apply, floor?.apply), '<= 1.1x'],
  ['no-op vs dbmate', ratio(strata.noop, dbmate?.noop), '<= 1x'],
  ['strata peak memory', `${strata.mb.toFixed(0)} MB`, '< 120 MB'],
]
console.log('\ntarget                                  measured   goal')
for (const [what, got, goal] of targets) console.log(`${what.padEnd(40)}${got.padEnd(11)}${goal}`)

let lintOut = ''
if (existsSync(join(root, '../shared/corpus'))) {
  const r = spawnSync(process.execPath, [join(root, 'bench/lint.mjs')], { cwd: root, encoding: 'utf8' })
  lintOut = (r.stdout + r.stderr).trim()
  console.log('\n' + lintOut)
}

// Loopback hides round trips; a cloud database is milliseconds away. Same history through a delaying proxy.
const latency = spawnSync(process.execPath, [join(root, 'bench/latency.mjs'), '100', '2'], { cwd: root, encoding: 'utf8' })
const latencyOut = (latency.stdout + latency.stderr).trim()
console.log('\n' + latencyOut)

if (write) {
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  const md = `# Benchmarks

Measured by \`npm run bench -- --write\` (bench/run.mjs): whole processes, each tool's median of ${runs} runs,
against the embedded Postgres (fsync off) on the same machine in the same run, the tools taking turns round by
round so that the server's background work falls on all of them alike.

- Machine: ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Linux; a shared, noisy machine: read ratios, not absolute times.
- Versions: ${Object.entries(versions())
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.
- History: ${count} generated files, each a table, an index, a SQL function and ten rows (bench/support.mjs).
- node-pg-migrate runs all pending files in one transaction by default; dbmate and Strata use one per file.

## Apply ${count} files to an empty database, and a no-op run with all applied
| tool | apply (median) | no-op (median) | peak memory |
|---|---:|---:|---:|
${results.map((r) => `| ${r.name} | ${r.apply.toFixed(0)} ms | ${r.noop === null ? '-' : r.noop.toFixed(0) + ' ms'} | ${Number.isNaN(r.mb) ? '?' : r.mb.toFixed(0) + ' MB'} |`).join('\n')}

## Against the targets
| target | measured | goal |
|---|---:|---:|
${targets.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`).join('\n')}

## Through a network: 4 ms round trip
Loopback makes round trips almost free; a database in the cloud is 1-80 ms away. bench/latency.mjs puts a TCP
proxy that delays every packet 2 ms each way between each tool and the same Postgres, and applies 100 files.
Strata sends each file, its guard, its ledger row and its COMMIT as one query: one round trip per file.
\`\`\`
${latencyOut}
\`\`\`

## Lint of ../shared/corpus
\`\`\`
${lintOut || 'corpus not present when this was written'}
\`\`\`
`
  mkdirSync(join(root, 'docs'), { recursive: true })
  writeFileSync(join(root, 'docs/benchmarks.md'), md)
  console.log('\nwrote docs/benchmarks.md')
}
