// Shared by the benchmarks: an embedded Postgres in a temp dir, generated histories, and whole-process timing.
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'

export const root = new URL('..', import.meta.url).pathname
export const strataBin = join(root, 'bin/strata.js')

export async function scratchPostgres() {
  const { startEmbedded } = await import('../dist/db/embedded.js')
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-'))
  chmodSync(dir, 0o755)
  const server = await startEmbedded({ dataDir: join(dir, 'pg'), ephemeral: true })
  let n = 0
  return {
    /** A new empty database on the server, as a URL. */
    async database() {
      const name = `bench_${process.pid}_${++n}`
      const admin = postgres(server.url, { prepare: false, max: 1, onnotice: () => {} })
      await admin.unsafe(`create database ${name}`)
      await admin.end()
      const u = new URL(server.url)
      u.pathname = `/${name}`
      return u.toString()
    },
    async stop() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A history of `count` files, each: a table, an index, a SQL function and ten rows. */
export function generateHistory(count, dir = mkdtempSync(join(tmpdir(), 'strata-history-'))) {
  mkdirSync(dir, { recursive: true })
  const width = Math.max(3, String(count).length)
  for (let i = 1; i <= count; i++) {
    const rows = Array.from({ length: 10 }, (_, r) => `(${r + 1}, 'row ${r + 1} of table ${i}')`).join(',\n  ')
    writeFileSync(
      join(dir, `${String(i).padStart(width, '0')}_table_${i}.sql`),
      `CREATE TABLE IF NOT EXISTS bench_t${i} (id int PRIMARY KEY, label text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS bench_t${i}_label_idx ON bench_t${i} (label);
CREATE OR REPLACE FUNCTION bench_f${i}(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT x + ${i} $$;
INSERT INTO bench_t${i} (id, label) VALUES
  ${rows}
ON CONFLICT (id) DO NOTHING;
`,
    )
  }
  return dir
}

/**
 * A seed-data file of about `megabytes` MB: one table, then INSERT ... VALUES ... ON CONFLICT DO NOTHING.
 * `rowsPerInsert` 1,000 gives thousands of statements; a huge value gives a few giant ones.
 */
export function generateSeed(path, megabytes, rowsPerInsert) {
  const fd = openSync(path, 'w')
  const target = megabytes * 1024 * 1024
  let bytes = 0
  const write = (text) => {
    writeSync(fd, text)
    bytes += Buffer.byteLength(text)
  }
  write(`-- Seed data: ${megabytes} MB of customers.
CREATE TABLE IF NOT EXISTS seed_customers (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  score numeric(10, 2) NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL
);
`)
  let id = 0
  while (bytes < target) {
    const rows = []
    let chunk = 0
    for (let r = 0; r < rowsPerInsert && bytes + chunk < target; r++) {
      id++
      const row = `(${id}, 'customer${id}@example.com', 'Customer ''${id}'' Ünïcödé', ${(id % 100000) / 100}, '{a,b}', '2024-01-01T00:00:00Z')`
      rows.push(row)
      chunk += row.length + 4
    }
    write(
      `INSERT INTO seed_customers (id, email, name, score, tags, created_at) VALUES\n  ${rows.join(',\n  ')}\nON CONFLICT (id) DO NOTHING;\n`,
    )
  }
  closeSync(fd)
  return id
}

/** Run a command `runs` times after one warm-up; wall-clock milliseconds of each whole process. */
export function timeCommand(cmd, args, { runs = 7, env = {}, cwd = root } = {}) {
  const times = []
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now()
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    const ms = performance.now() - t0
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
    if (i > 0) times.push(ms)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] }
}

export const fmt = (ms) => `${ms.toFixed(0)} ms`
