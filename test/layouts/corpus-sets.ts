/**
 * The acceptance of "bring any history": each real project of ../shared/corpus that psql applies is applied by
 * the strata CLI from its folder exactly as it is, with --layout and an enforceFrom past its last file, no rule
 * override and no --allow-destructive; then `strata verify` passes, and the schema equals what psql builds from
 * the same files (fed as the project's tool feeds them: goose's Up sections, each in a transaction unless
 * NO TRANSACTION; every other file as psql runs it, statement by statement).
 */
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from '../../src/db/connect.js'
import { readHistory } from '../../src/runner/files.js'
import { normalize } from '../../src/runner/file-format.js'
import type { LayoutName } from '../../src/layouts/index.js'
import { diffSnapshots, formatDifferences, snapshotSchema } from '../../src/schema/index.js'
import { freshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'
import { CORPUS, corpusMissing } from '../support/skip.js'

export interface CorpusSet {
  name: string
  layout: LayoutName
  /** The folder inside the corpus. */
  dir: string
  /** How many files the project's tool applies from it (the corpus's own count, SOURCES.md). */
  files: number
  /** SQL run first on both databases (platform stand-ins, a tool's own table the history alters). */
  setup?: (database: string) => string
  /** Stop after this version (hatchet: the Go migration the corpus lacks comes next). */
  to?: number
}

const LEDGER = 'strata_ledger'

/** Why a set cannot run here, or undefined. */
export function missing(set: CorpusSet): string | undefined {
  if (corpusMissing) return corpusMissing
  return existsSync(join(CORPUS, set.dir)) ? undefined : `${set.dir} is not in ${CORPUS}`
}

export async function applyAndCompare(set: CorpusSet): Promise<void> {
  const dir = join(CORPUS, set.dir)
  const history = readHistory(dir, process.cwd(), set.layout)
  const applied = history.files.filter((f) => set.to === undefined || f.version <= set.to)
  assert.is(applied.length, set.files, `${set.name}: files read by the ${set.layout} layout`)
  const last = Math.max(...history.files.map((f) => f.version))
  const cwd = project({ 'package.json': JSON.stringify({ strata: { layout: set.layout, enforceFrom: String(last + 1) } }) })
  const [viaStrata, viaPsql] = [await freshDatabase(), await freshDatabase()]
  try {
    for (const db of [viaStrata, viaPsql]) if (set.setup) await psql(db.url, set.setup(new URL(db.url).pathname.slice(1)))
    const args = ['--dir', dir, '--url', viaStrata.url, '--schema', LEDGER]
    const migrate = await strata(['migrate', ...args, ...(set.to ? ['--to', String(set.to)] : [])], { cwd })
    assert.is(migrate.code, 0, `${set.name}: strata migrate\n${migrate.stdout.slice(-3000)}\n${migrate.stderr.slice(-3000)}`)
    assert.match(migrate.stdout, new RegExp(`${applied.length} migration\\(s\\) applied`))
    const verify = await strata(['verify', ...args, '--json'], { cwd })
    const doc = JSON.parse(verify.stdout)
    const pending = doc.history.filter((h: { state: string; version: number }) => !(h.state === 'pending' && set.to && h.version > set.to))
    assert.equal([pending, doc.objects], [[], []], `${set.name}: strata verify`)

    await psql(viaPsql.url, psqlScript(applied, set.layout, cwd))
    const [a, b] = [connect({ url: viaStrata.url }), connect({ url: viaPsql.url })]
    try {
      const differences = diffSnapshots(await snapshotSchema(b), await snapshotSchema(a, { exclude: [LEDGER] }))
      assert.ok(!differences.length, `${set.name}: the schema Strata built differs from psql's:\n${formatDifferences(differences)}`)
    } finally {
      await Promise.all([a.end(), b.end()])
    }
  } finally {
    await Promise.all([viaStrata.drop(), viaPsql.drop()])
  }
}

/** One psql session for the whole set: `\i` of each file, or of its up section, as its tool runs it. */
function psqlScript(files: ReturnType<typeof readHistory>['files'], layout: LayoutName, cwd: string): string {
  mkdirSync(join(cwd, 'up'))
  return files
    .map((file, i) => {
      const path = join(cwd, 'up', `${i}.sql`)
      writeFileSync(path, normalize(file.content))
      const inTransaction = layout === 'goose' && !file.noTransaction
      return inTransaction ? `begin;\n\\i ${path}\ncommit;` : `\\i ${path}`
    })
    .join('\n')
}

function psql(url: string, script: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', fail)
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`psql exited with ${code}: ${stderr.slice(-2000)}`))))
    child.stdin.end(script)
  })
}

/** psql must be there (the machine's postgresql-client); without it these tests cannot compare. */
export const psqlMissing =
  spawnSync('psql', ['--version']).status === 0 ? undefined : 'psql is not installed: the corpus acceptance compares with what psql builds'

export const stub = () => readFileSync(join(CORPUS, 'supabase_stub.sql'), 'utf8')
