#!/usr/bin/env node
// Many databases, on one embedded Postgres, tools taking turns round by round:
//   1. N tenant databases (default 200) x 5 files: `strata migrate --targets` against a loop of dbmate runs
//      and a loop of single `strata migrate` runs (each database fresh for each tool);
//   2. S tenant schemas in one database (default 1,000) x 5 files: `strata migrate --each-schema`, its peak
//      memory, and a rerun with nothing to do.
// Connections are counted in pg_stat_activity every few ms during each fan-out: never more than --concurrency.
// Usage: node bench/targets.mjs [databases=200] [schemas=1000]; BENCH_TARGET_RUNS rounds (default 3).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { generateHistory, root, scratchPostgres, strataBin } from './support.mjs'
import { ensurePeers } from './peers.mjs'

const databases = Number(process.argv[2] ?? 200)
const schemas = Number(process.argv[3] ?? 1000)
const rounds = Number(process.env.BENCH_TARGET_RUNS ?? 3)
const concurrency = 4 // the default, named so that the sampled bound can be checked against it
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const dbmate = join(root, 'node_modules/.bin/dbmate')

/** A whole process, asynchronously (the connection sampler runs meanwhile): wall ms and peak RSS (GNU time). */
function run(cmd, args, { env = {}, cwd = root } = {}) {
  const [c, a] = gnuTime ? [gnuTime, ['-f', '%M', cmd, ...args]] : [cmd, args]
  return new Promise((done, failed) => {
    const t0 = performance.now()
    const child = spawn(c, a, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (status) => {
      const ms = performance.now() - t0
      if (status !== 0) return failed(new Error(`${cmd} ${args.slice(0, 4).join(' ')} exited ${status}: ${stderr.slice(-600)}`))
      done({ ms, mb: gnuTime ? Number(stderr.trim().split('\n').pop()) / 1024 : NaN })
    })
  })
}

/** The most connections seen at once in the databases whose names start with `prefix`. */
function sampler(url, prefix) {
  const sql = postgres(url, { prepare: false, max: 1, onnotice: () => {} })
  let most = 0
  let on = true
  const loop = (async () => {
    while (on) {
      const [row] = await sql.unsafe(
        `select count(*)::int as n from pg_stat_activity where application_name = 'strata' and datname like $1`,
        [`${prefix}%`],
      )
      most = Math.max(most, row.n)
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  return { stop: async () => ((on = false), await loop, await sql.end(), most) }
}

const withDatabase = (url, name) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

ensurePeers(['dbmate'])
const pg = await scratchPostgres()
const base = withDatabase(await pg.database(), 'postgres')
const admin = postgres(base, { prepare: false, max: 1, onnotice: () => {} })
try {
  const dir = generateHistory(5)
  const dbmateDir = mkdtempSync(join(tmpdir(), 'bench-targets-dbmate-'))
  for (const f of readdirSync(dir))
    writeFileSync(join(dbmateDir, f), `-- migrate:up\n${readFileSync(join(dir, f), 'utf8')}\n-- migrate:down\n`)
  const work = mkdtempSync(join(tmpdir(), 'bench-targets-'))

  const tools = [
    {
      name: `strata migrate --targets (${databases} databases, --concurrency ${concurrency})`,
      apply: (names, file) => run(process.execPath, [strataBin, 'migrate', '--targets', file, '--url', base, '--dir', dir], { cwd: work }),
    },
    {
      name: `a loop of ${databases} dbmate up`,
      apply: async (names) => {
        const t0 = performance.now()
        for (const n of names)
          await run(dbmate, ['--url', `${withDatabase(base, n)}?sslmode=disable`, '--migrations-dir', dbmateDir, '--no-dump-schema', 'up'])
        return { ms: performance.now() - t0 }
      },
    },
    {
      name: `a loop of ${databases} strata migrate`,
      apply: async (names) => {
        const t0 = performance.now()
        for (const n of names)
          await run(process.execPath, [strataBin, 'migrate', '--url', withDatabase(base, n), '--dir', dir], { cwd: work })
        return { ms: performance.now() - t0 }
      },
    },
  ]
  if (!existsSync(dbmate)) tools.splice(1, 1)
  const samples = tools.map(() => ({ ms: [], most: 0 }))
  for (let round = 0; round < rounds; round++) {
    for (const [i, tool] of tools.entries()) {
      const prefix = `bt_${round}_${i}_`
      const names = Array.from({ length: databases }, (_, n) => `${prefix}${n}`)
      for (const n of names) await admin.unsafe(`create database ${n} strategy file_copy`) // 6x faster than wal_log here; not timed
      const file = join(work, `${prefix}targets.txt`)
      writeFileSync(file, names.join('\n'))
      const count = sampler(base, prefix)
      const r = await tool.apply(names, file)
      samples[i].most = Math.max(samples[i].most, await count.stop())
      samples[i].ms.push(r.ms)
      for (const n of names) await admin.unsafe(`drop database ${n}`)
    }
  }
  console.log(`${databases} tenant databases x 5 files, one embedded Postgres (fsync off), ${rounds} rounds, tools taking turns`)
  console.log(`${'tool'.padEnd(58)} ${'median'.padStart(9)}  ratio of the fan-out (per round, min-max)  most connections`)
  for (const [i, tool] of tools.entries()) {
    const ratios = samples[0].ms.map((ms, r) => ms / samples[i].ms[r])
    const ratio = i === 0 ? '' : `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`
    console.log(
      `${tool.name.padEnd(58)} ${`${(median(samples[i].ms) / 1000).toFixed(1)} s`.padStart(9)}  ${ratio.padEnd(41)}  ${i === 0 ? samples[i].most : '1'}`,
    )
  }

  // ---- one database, a schema per tenant ----
  const tenantsDb = 'bench_schemas'
  await admin.unsafe(`create database ${tenantsDb} strategy file_copy`)
  const url = withDatabase(base, tenantsDb)
  const tenantsSql = postgres(url, { prepare: false, max: 1, onnotice: () => {} })
  for (let i = 0; i < schemas; i += 100)
    await tenantsSql.unsafe(Array.from({ length: Math.min(100, schemas - i) }, (_, k) => `create schema tenant_${i + k};`).join('\n'))
  await tenantsSql.end()
  const args = [strataBin, 'migrate', '--each-schema', 'tenant\\_%', '--url', url, '--dir', dir]
  const count = sampler(base, tenantsDb)
  const first = await run(process.execPath, args, { cwd: work })
  const most = await count.stop()
  const noop = await run(process.execPath, args, { cwd: work })
  console.log(
    `\n${schemas} tenant schemas in one database x 5 files, strata migrate --each-schema (--concurrency ${concurrency}):` +
      `\n  apply ${(first.ms / 1000).toFixed(1)} s, peak ${Number.isNaN(first.mb) ? '?' : first.mb.toFixed(0)} MB, most connections ${most}` +
      `; rerun with nothing to do ${(noop.ms / 1000).toFixed(1)} s, peak ${Number.isNaN(noop.mb) ? '?' : noop.mb.toFixed(0)} MB`,
  )
} finally {
  await admin.end()
  await pg.stop()
}
