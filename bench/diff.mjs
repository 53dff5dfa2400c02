#!/usr/bin/env node
// strata diff on a history of N generated files (default 200) and a database drifted by hand in 50 of its
// tables (a column, an index, a grant, a comment each; one table dropped, one added). Whole processes, taking turns:
//   diff --check               replays into an embedded scratch Postgres (starts one: initdb and all)
//   diff --check --scratch-url replays into an empty database on the same server
//   verify --shadow --scratch-url, the same replay and comparison without writing DDL, for reference
// Then the engine alone, in process: two catalog snapshots and the plan, against @pgkit/migra (the TypeScript
// port of migra behind `supabase db diff`) on the same two databases, when STRATA_BENCH_MIGRA names a folder
// whose node_modules has it (it is not a dependency of Strata).
// Usage: node bench/diff.mjs [files=200]
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import postgres from 'postgres'
import { generateHistory, root, scratchPostgres, strataBin } from './support.mjs'

const count = Number(process.argv[2] ?? 200)
const runs = Number(process.env.BENCH_RUNS ?? 5)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function drift(n) {
  const lines = ['create role bench_reader nologin;']
  for (let i = 1; i <= Math.min(50, n); i++) {
    lines.push(
      `alter table bench_t${i} add column note text default 'x';`,
      `create index bench_t${i}_created on bench_t${i} (created_at);`,
      `grant select on bench_t${i} to bench_reader;`,
      `comment on table bench_t${i} is 'table ${i}';`,
    )
  }
  lines.push(`drop table bench_t${n};`, 'create table bench_new (id int primary key, at timestamptz);')
  return lines.join('\n')
}

function timed(argv) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [strataBin, ...argv], { cwd: root, encoding: 'utf8' })
  const ms = performance.now() - t0
  if (r.status !== 1) throw new Error(`strata ${argv.join(' ')} exited ${r.status} (expected 1: drift): ${r.stderr.slice(-600)}`)
  return ms
}

const pg = await scratchPostgres()
try {
  const dir = generateHistory(count)
  const [live, history] = [await pg.database(), await pg.database()]
  for (const url of [live, history]) {
    const r = spawnSync(process.execPath, [strataBin, 'migrate', '--url', url, '--dir', dir], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  }
  const sql = postgres(live, { max: 1, onnotice: () => {} })
  await sql.unsafe('drop role if exists bench_reader').catch(() => {})
  await sql.unsafe(drift(count))
  await sql.end()

  const kinds = {
    'diff --check (embedded scratch)': () => timed(['diff', '--check', '--url', live, '--dir', dir]),
    'diff --check --scratch-url': async () => timed(['diff', '--check', '--url', live, '--dir', dir, '--scratch-url', await pg.database()]),
    'verify --shadow --scratch-url': async () =>
      timed(['verify', '--shadow', '--url', live, '--dir', dir, '--scratch-url', await pg.database()]),
  }
  const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]))
  for (let round = 0; round < runs; round++) for (const [k, run] of Object.entries(kinds)) samples[k].push(await run())
  console.log(`strata diff: ${count} files, drift in 50 tables (whole processes, median of ${runs})`)
  for (const [k, xs] of Object.entries(samples)) console.log(`  ${k.padEnd(34)} ${median(xs).toFixed(0).padStart(6)} ms`)

  const engines = await engineSamples(history, live)
  if (engines) {
    console.log(`engine alone, ${runs} rounds taking turns (two catalog reads and the plan):`)
    for (const [k, xs] of Object.entries(engines)) console.log(`  ${k.padEnd(34)} ${median(xs).toFixed(0).padStart(6)} ms`)
    const ratios = engines.strata.map((x, i) => x / engines['@pgkit/migra'][i])
    console.log(`  strata / migra, median of per-round ratios: ${median(ratios).toFixed(2)}x`)
  } else console.log('engine alone: set STRATA_BENCH_MIGRA=<folder with node_modules/@pgkit/migra> to compare with migra')
} finally {
  await pg.stop()
}

async function engineSamples(history, live) {
  const folder = process.env.STRATA_BENCH_MIGRA
  if (!folder) return null
  const migra = createRequire(join(folder, 'package.json'))('@pgkit/migra')
  const { connect } = await import('../dist/db/connect.js')
  const { snapshotSchema } = await import('../dist/schema/index.js')
  const { planMigration, renderMigration } = await import('../dist/diff/index.js')
  const out = { strata: [], '@pgkit/migra': [] }
  for (let round = 0; round < runs; round++) {
    let t0 = performance.now()
    const [a, b] = [connect({ url: history }), connect({ url: live })]
    const [want, have] = await Promise.all([snapshotSchema(a, { grants: true }), snapshotSchema(b, { grants: true })])
    renderMigration(planMigration(want, have), { header: [] })
    await Promise.all([a.end(), b.end()])
    out.strata.push(performance.now() - t0)
    t0 = performance.now()
    const m = await migra.run(history, live, { unsafe: true, withPrivileges: true })
    void m.sql
    out['@pgkit/migra'].push(performance.now() - t0)
  }
  return out
}
