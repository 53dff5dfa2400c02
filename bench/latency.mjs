#!/usr/bin/env node
// Round trips matter on real networks (a cloud database is 1-80 ms away), not on loopback. This benchmark
// puts a TCP proxy that delays every chunk by D ms each way between each tool and the embedded Postgres,
// then applies the same generated history with each tool, and runs each once more per no-op sample.
// Usage: node bench/latency.mjs [files=100] [one-way delay ms=2]
import { createServer, connect } from 'node:net'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { generateHistory, root, scratchPostgres, strataBin } from './support.mjs'
import { ensurePeers } from './peers.mjs'

const count = Number(process.argv[2] ?? 100)
const delay = Number(process.argv[3] ?? 2)
const noopRuns = 5
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Forward bytes both ways, each chunk `ms` later; equal delays keep the order of chunks. */
function delayingProxy(targetPort, ms) {
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    const pipe = (from, to) => {
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), ms))
      from.on('end', () => setTimeout(() => to.end(), ms))
      from.on('error', () => to.destroy())
    }
    pipe(client, upstream)
    pipe(upstream, client)
  })
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)))
}

const throughProxy = (url, port) => {
  const u = new URL(url)
  u.port = String(port)
  return u.toString()
}

function run(cmd, args, env = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (status) => done({ status, stderr }))
  })
}

const bin = (name) => join(root, 'node_modules/.bin', name)
ensurePeers()
const pg = await scratchPostgres()
try {
  const dir = generateHistory(count)
  const dbmateDir = mkdtempSync(join(tmpdir(), 'lat-dbmate-'))
  const npmDir = mkdtempSync(join(tmpdir(), 'lat-npm-'))
  for (const f of readdirSync(dir)) {
    const body = readFileSync(join(dir, f), 'utf8')
    writeFileSync(join(dbmateDir, f), `-- migrate:up\n${body}\n-- migrate:down\n`)
    writeFileSync(join(npmDir, f), `-- Up Migration\n${body}\n-- Down Migration\n`)
  }
  const tools = [
    ['strata (per-file transactions)', (url) => [process.execPath, [strataBin, 'migrate', '--url', url, '--dir', dir]]],
    [
      'strata --single-transaction',
      (url) => [process.execPath, [strataBin, 'migrate', '--single-transaction', '--url', url, '--dir', dir]],
      false,
    ],
    ['dbmate', (url) => [bin('dbmate'), ['--url', url + '?sslmode=disable', '--migrations-dir', dbmateDir, '--no-dump-schema', 'up']]],
    ['node-pg-migrate (one transaction)', (url) => [bin('node-pg-migrate'), ['up', '-m', npmDir, '--no-verbose'], { DATABASE_URL: url }]],
  ]
  console.log(`apply ${count} files through a link that delays each packet ${delay} ms each way, then a no-op run (median of ${noopRuns})`)
  console.log(`${'tool'.padEnd(36)} ${'apply'.padStart(9)} ${'no-op'.padStart(9)}`)
  for (const [name, command, noop = true] of tools) {
    const url = await pg.database()
    const proxy = await delayingProxy(Number(new URL(url).port), delay)
    const [cmd, args, env] = command(throughProxy(url, proxy.address().port))
    const timed = async () => {
      const t0 = performance.now()
      const r = await run(cmd, args, env) // asynchronous: the proxy runs in this process
      if (r.status !== 0) throw new Error(`${name} failed: ${(r.stderr || '').slice(0, 200)}`)
      return performance.now() - t0
    }
    const apply = await timed()
    const noops = []
    if (noop) for (let i = 0; i < noopRuns; i++) noops.push(await timed())
    proxy.close()
    const noopMs = noops.length ? `${median(noops).toFixed(0)} ms` : '-'
    console.log(`${name.padEnd(36)} ${`${apply.toFixed(0)} ms`.padStart(9)} ${noopMs.padStart(9)}`)
  }
} finally {
  await pg.stop()
}
