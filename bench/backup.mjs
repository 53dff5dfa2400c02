#!/usr/bin/env node
// Full backup and restore, Strata against pg_dump -Fc / pg_restore, on a few hundred MB of rows.
// Both talk to the same PostgreSQL 15 server that this script starts on 127.0.0.1 (Debian's postgresql-15:
// pg_dump 15 refuses a newer server, and the embedded one is 18), taking turns round by round.
//   node bench/backup.mjs [rows]     (default 1,500,000 event rows; BENCH_BACKUP_RUNS rounds, default 3)
// Prints medians, per-round ratios, peak memory (GNU time) and sizes.
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { root, strataBin } from './support.mjs'

const PG = '/usr/lib/postgresql/15/bin'
const rows = Number(process.argv[2] ?? 1_500_000)
const runs = Number(process.env.BENCH_BACKUP_RUNS ?? 3)
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

if (!existsSync(join(PG, 'postgres')) || !existsSync(join(PG, 'pg_dump'))) {
  console.log(`backup benchmark skipped: ${PG} has no postgres/pg_dump (Debian: apt-get install postgresql-15)`)
  process.exit(0)
}

const freePort = () =>
  new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => done(port))
    })
  })

/** As root, the server runs as `postgres` (it refuses root). */
const asServerUser = (cmd, args) => (userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args])

function run(cmd, args, env = {}) {
  const [c, a] = gnuTime ? [gnuTime, ['-f', '%M', cmd, ...args]] : [cmd, args]
  const t0 = performance.now()
  const r = spawnSync(c, a, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 200)} exited ${r.status}: ${(r.stderr || '').slice(-1500)}`)
  return { ms, mb: gnuTime ? Number(r.stderr.trim().split('\n').pop()) / 1024 : NaN }
}

const work = mkdtempSync(join(tmpdir(), 'strata-bench-backup-'))
const data = join(work, 'pg')
mkdirSync(data)
if (userInfo().uid === 0) {
  execFileSync('chmod', ['755', work])
  chownSync(data, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()))
}
const port = await freePort()
const [initCmd, initArgs] = asServerUser(join(PG, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
execFileSync(initCmd, initArgs, { stdio: 'ignore' })
const opts = `-p ${port} -k ${data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB`
const [startCmd, startArgs] = asServerUser(join(PG, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(data, 'log'), '-w', 'start'])
execFileSync(startCmd, startArgs, { stdio: 'ignore' })
const base = `postgres://postgres@127.0.0.1:${port}`
const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} })
const database = async (name) => (await admin.unsafe(`create database ${name}`), `${base}/${name}`)

try {
  const migrations = join(work, 'migrations')
  mkdirSync(migrations)
  writeFileSync(
    join(migrations, '001_schema.sql'),
    `create table if not exists bench_users (id serial primary key, email text not null unique, avatar bytea, tags text[], created_at timestamptz not null default now());
create table if not exists bench_events (
  id bigint generated always as identity primary key,
  user_id int not null references bench_users,
  at timestamptz not null,
  kind text,
  payload jsonb,
  body text
);
create index if not exists bench_events_user on bench_events (user_id);
`,
  )
  const source = await database('source')
  const strata = (args) => [process.execPath, [strataBin, ...args, '--dir', migrations]]
  run(...strata(['migrate', '--url', source]))
  const users = Math.max(1000, Math.round(rows / 5))
  const sql = postgres(source, { max: 1, onnotice: () => {} })
  await sql.unsafe(`insert into bench_users (email, avatar, tags) select 'user' || g || '@example.com', decode(md5(g::text), 'hex'), array['t' || g % 10, 'x']
    from generate_series(1, ${users}) g`)
  await sql.unsafe(`insert into bench_events (user_id, at, kind, payload, body)
    select 1 + g % ${users}, timestamptz '2024-01-01' + g * interval '1 second', case when g % 7 = 0 then null else 'kind ' || g % 13 end,
           jsonb_build_object('n', g, 'tag', 't' || g % 100), repeat(md5(g::text), 3)
      from generate_series(1, ${rows}) g`)
  await sql.unsafe('vacuum analyze')
  const [{ mb }] = await sql.unsafe(
    `select round(sum(pg_table_size(oid)) / 1e6) as mb from pg_class where relname in ('bench_users', 'bench_events')`,
  )
  await sql.end()

  const samples = { backup: [], dump: [], restore: [], pgRestore: [], backupMb: [], restoreMb: [] }
  let strataSize = 0
  let dumpSize = 0
  for (let round = 0; round < runs; round++) {
    const out = join(work, `strata-${round}`)
    const dump = join(work, `dump-${round}.custom`)
    // Alternate who goes first, so neither always gets the warmer cache.
    const backups = [
      () => {
        const r = run(...strata(['backup', '--all', '--out', out, '--url', source]))
        samples.backup.push(r.ms)
        samples.backupMb.push(r.mb)
      },
      () => samples.dump.push(run(join(PG, 'pg_dump'), ['-Fc', '-f', dump, source]).ms),
    ]
    for (const b of round % 2 ? backups.reverse() : backups) b()
    strataSize = readdirSync(out).reduce((n, f) => n + statSync(join(out, f)).size, 0)
    dumpSize = statSync(dump).size
    const restores = [
      async () => {
        const r = run(...strata(['restore', out, '--url', await database(`s_${round}`)]))
        samples.restore.push(r.ms)
        samples.restoreMb.push(r.mb)
      },
      async () => samples.pgRestore.push(run(join(PG, 'pg_restore'), ['-d', await database(`p_${round}`), dump]).ms),
    ]
    for (const r of round % 2 ? restores.reverse() : restores) await r()
    rmSync(out, { recursive: true, force: true })
    rmSync(dump, { force: true })
  }
  const ratio = (a, b) => {
    const pairs = a.map((x, i) => x / b[i])
    return `${median(pairs).toFixed(2)}x (${Math.min(...pairs).toFixed(2)}-${Math.max(...pairs).toFixed(2)})`
  }
  const s = (ms) => `${(median(ms) / 1000).toFixed(1)} s`
  const serverVersion = execFileSync(join(PG, 'postgres'), ['--version'], { encoding: 'utf8' }).trim()
  console.log(`full backup and restore of ${rows.toLocaleString('en')} + ${users.toLocaleString('en')} rows (${mb} MB of table data), ${runs} rounds, tools taking turns
server ${serverVersion} on 127.0.0.1 (fsync off), pg_dump/pg_restore 15; median (per-round ratio, min-max)
                               median      ratio                 goal
strata backup --all          ${s(samples.backup).padStart(8)}   ${ratio(samples.backup, samples.dump).padEnd(20)}  <= 1.25x pg_dump -Fc
pg_dump -Fc                  ${s(samples.dump).padStart(8)}
strata restore               ${s(samples.restore).padStart(8)}   ${ratio(samples.restore, samples.pgRestore).padEnd(20)}  <= 1.5x pg_restore
pg_restore                   ${s(samples.pgRestore).padStart(8)}
strata peak memory           backup ${Math.max(...samples.backupMb).toFixed(0)} MB, restore ${Math.max(...samples.restoreMb).toFixed(0)} MB   (goal < 150 MB)
size on disk                 strata ${(strataSize / 1e6).toFixed(0)} MB (gzip level 1), pg_dump -Fc ${(dumpSize / 1e6).toFixed(0)} MB`)
} finally {
  await admin.end()
  const [stopCmd, stopArgs] = asServerUser(join(PG, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'])
  spawnSync(stopCmd, stopArgs, { stdio: 'ignore' })
  rmSync(work, { recursive: true, force: true })
}
