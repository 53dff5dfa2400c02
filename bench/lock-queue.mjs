#!/usr/bin/env node
// The lock queue: an application reads a table every 100 ms while a long transaction (8 s) holds it, and a
// migration wants ACCESS EXCLUSIVE on it (ALTER TABLE ... ADD COLUMN). A migration that just waits queues every
// read behind its request for the whole wait; Strata waits at most --lock-timeout per attempt and steps aside
// in between. Measured per tool, taking turns round by round: the application's worst read while the
// migration waits, and whether the migration applied once the blocker ended.
// Usage: node bench/lock-queue.mjs [rounds=3] [hold seconds=8]
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { root, scratchPostgres, strataBin } from './support.mjs'
import { ensurePeers } from './peers.mjs'

const rounds = Number(process.argv[2] ?? 3)
const holdMs = Number(process.argv[3] ?? 8) * 1000
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const ALTER = 'ALTER TABLE lq_orders ADD COLUMN IF NOT EXISTS note text;'

function migrationDirs() {
  const strata = mkdtempSync(join(tmpdir(), 'lq-strata-'))
  writeFileSync(join(strata, '001_add_note.sql'), `${ALTER}\n`)
  const dbmate = mkdtempSync(join(tmpdir(), 'lq-dbmate-'))
  writeFileSync(join(dbmate, '001_add_note.sql'), `-- migrate:up\n${ALTER}\n-- migrate:down\n`)
  return { strata, dbmate }
}

function withSslDisabled(url) {
  const u = new URL(url)
  u.searchParams.set('sslmode', 'disable')
  return u.toString()
}

const tools = (dirs) => [
  { name: 'strata migrate', cmd: (url) => [process.execPath, [strataBin, 'migrate', '--url', url, '--dir', dirs.strata]] },
  {
    name: 'dbmate up',
    cmd: (url) => [
      join(root, 'node_modules/.bin/dbmate'),
      ['--url', withSslDisabled(url), '--migrations-dir', dirs.dbmate, '--no-dump-schema', 'up'],
    ],
  },
]

function run([cmd, args]) {
  return new Promise((done) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (status) => done({ status, stderr, ms: performance.now() - t0 }))
  })
}

/** One round for one tool: fresh table, the application reading, the blocker holding, the migration waiting. */
async function scenario(url, tool) {
  const setup = postgres(url, { prepare: false, max: 1, onnotice: () => {} })
  await setup.unsafe(
    'create table lq_orders (id int primary key, total int); insert into lq_orders select g, g from generate_series(1, 10000) g',
  )
  await setup.end()
  const app = postgres(url, { prepare: false, max: 1, onnotice: () => {}, connection: { application_name: 'app' } })
  const blocker = postgres(url, { prepare: false, max: 1, onnotice: () => {}, connection: { application_name: 'report-job' } })
  await app`select 1`
  const reads = [] // [started, ms]
  let reading = true
  const appLoop = (async () => {
    while (reading) {
      const t0 = performance.now()
      await app`select count(*) from lq_orders`
      const ms = performance.now() - t0
      reads.push([t0, ms])
      await sleep(Math.max(0, 100 - ms))
    }
  })()
  const reserved = await blocker.reserve()
  await reserved`begin`
  await reserved`select count(*) from lq_orders` // holds ACCESS SHARE until commit
  const released = sleep(holdMs).then(() => reserved`commit`)
  await sleep(300)
  const migrationStart = performance.now()
  const migration = await run(tool.cmd(url))
  const migrationEnd = performance.now()
  await released
  reserved.release()
  reading = false
  await appLoop
  const check = postgres(url, { prepare: false, max: 1, onnotice: () => {} })
  const [col] =
    await check`select count(*)::int as n from information_schema.columns where table_name = 'lq_orders' and column_name = 'note'`
  await check.end()
  await Promise.all([app.end(), blocker.end()])
  // Reads that overlap the migration's run: those are what its waiting can delay.
  const during = reads.filter(([t0, ms]) => t0 + ms >= migrationStart && t0 <= migrationEnd).map(([, ms]) => ms)
  return {
    worst: Math.max(...during),
    reads: during.length,
    applied: migration.status === 0 && col.n === 1,
    ms: migrationEnd - migrationStart,
    stderr: migration.stderr,
  }
}

ensurePeers(['dbmate'])
const pg = await scratchPostgres()
const dirs = migrationDirs()
const list = tools(dirs)
const samples = list.map(() => [])
try {
  for (let round = 0; round < rounds; round++) {
    for (const [i, tool] of list.entries()) {
      const r = await scenario(await pg.database(), tool)
      if (!r.applied) console.error(`${tool.name}: did not apply: ${r.stderr.slice(-400)}`)
      samples[i].push(r)
    }
  }
} finally {
  await pg.stop()
}
console.log(`lock queue: an application reads a table every 100 ms; a transaction holds it ${holdMs / 1000} s; the migration adds a column`)
console.log(`(median of ${rounds} rounds, the tools taking turns)`)
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`
console.log('tool               worst read while it waits (min-max)   migration took (min-max)   applied')
for (const [i, tool] of list.entries()) {
  const s = samples[i]
  const worsts = s.map((r) => r.worst)
  const tooks = s.map((r) => r.ms)
  const range = (xs) => `(${secs(Math.min(...xs))}-${secs(Math.max(...xs))})`
  const applied = s.filter((r) => r.applied).length
  console.log(
    `${tool.name.padEnd(19)}${secs(median(worsts)).padStart(8)} ${range(worsts).padEnd(29)}${secs(median(tooks)).padStart(8)} ${range(tooks).padEnd(19)}${applied}/${s.length}`,
  )
}
const strataWorst = median(samples[0].map((r) => r.worst))
console.log(`goal: strata's worst read <= 1.5 s: ${strataWorst <= 1500 ? 'met' : 'NOT met'} (${(strataWorst / 1000).toFixed(2)} s)`)
