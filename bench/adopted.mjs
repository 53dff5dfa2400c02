#!/usr/bin/env node
// Real histories of other tools (../shared/corpus), applied to an empty database by `strata migrate --layout`
// from their folders as they are, against psql running the same files one process per file (as a deploy script
// would), the two taking turns round by round. Prints medians and the ratio. `node bench/adopted.mjs [rounds]`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, scratchPostgres, strataBin } from './support.mjs'

const corpus = process.env.STRATA_TEST_CORPUS || join(root, '../shared/corpus')
const rounds = Number(process.argv[2] ?? 3)
const psql = ['/usr/bin/psql', '/usr/local/bin/psql'].find(existsSync)
if (!existsSync(corpus) || !psql) {
  console.log(`adopted histories: skipped (${!psql ? 'no psql' : `no corpus at ${corpus}`})`)
  process.exit(0)
}
const { readHistory } = await import('../dist/runner/files.js')
const { normalize } = await import('../dist/runner/file-format.js')

const SETS = [
  ['trigger.dev (Prisma)', 'prisma', 'triggerdotdev__trigger.dev/internal-packages/database/prisma/migrations'],
  ['hatchet (goose)', 'goose', 'hatchet-dev__hatchet/cmd/hatchet-migrate/migrate/migrations', 20260424190712],
  ['marquez (Flyway)', 'flyway', 'MarquezProject__marquez/api/src/main/resources/marquez/db/migration'],
  ['supabase/storage tenant (postgres-migrations)', 'postgres-migrations', 'supabase__storage/migrations/tenant', undefined, 'storage'],
  ['harbor (golang-migrate)', 'golang-migrate', 'goharbor__harbor/make/migrations/postgresql', undefined, 'harbor'],
]

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const pg = await scratchPostgres()
const cwd = mkdtempSync(join(tmpdir(), 'bench-adopted-'))
writeFileSync(join(cwd, 'package.json'), JSON.stringify({ strata: { enforceFrom: '9000000000000000' } }))

function run(cmd, argv) {
  const t0 = performance.now()
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 })
  if (r.status !== 0) throw new Error(`${cmd} ${argv.slice(0, 3).join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).slice(-800)}`)
  return performance.now() - t0
}

async function prepared(setup) {
  const url = await pg.database()
  if (setup === 'storage')
    run(psql, ['-X', '-q', '-d', url, '-c', `alter database ${new URL(url).pathname.slice(1)} set search_path = storage, public`])
  if (setup === 'harbor')
    run(psql, ['-X', '-q', '-d', url, '-c', 'create table schema_migrations (version bigint primary key, dirty boolean not null)'])
  return url
}

const lines = []
try {
  for (const [name, layout, dir, to, setup] of SETS) {
    const abs = join(corpus, dir)
    if (!existsSync(abs)) continue
    const files = readHistory(abs, cwd, layout).files.filter((f) => to === undefined || f.version <= to)
    // psql gets each file as its tool runs it: goose's Up sections in a transaction unless NO TRANSACTION.
    const feed = files.map((f, i) => {
      const path = join(cwd, `${layout}-${i}.sql`)
      writeFileSync(path, normalize(f.content))
      return { path, tx: layout === 'goose' && !f.noTransaction }
    })
    const strata = []
    const viaPsql = []
    for (let r = 0; r < rounds; r++) {
      const a = await prepared(setup)
      rmSync(join(cwd, '.strata'), { recursive: true, force: true }) // cold: no lint cache, as a fresh deploy job
      strata.push(
        run(process.execPath, [strataBin, 'migrate', '--layout', layout, '--dir', abs, '--url', a, ...(to ? ['--to', String(to)] : [])]),
      )
      const b = await prepared(setup)
      const t0 = performance.now()
      for (const { path, tx } of feed) run(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(tx ? ['-1'] : []), '-d', b, '-f', path])
      viaPsql.push(performance.now() - t0)
    }
    const [s, p] = [median(strata), median(viaPsql)]
    lines.push(
      `${name.padEnd(48)}${String(files.length).padStart(5)} files  strata ${(s / 1000).toFixed(2)} s  psql ${(p / 1000).toFixed(2)} s  ${(s / p).toFixed(2)}x`,
    )
    console.log(lines.at(-1))
  }
} finally {
  await pg.stop()
}
console.log(`(medians of ${rounds} rounds; psql: one process per file, each file as its tool runs it)`)
