// No false alarms on real histories: databases built from real projects' migrations verify clean.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from '../../src/db/connect.js'
import { checksum, normalize, type MigrationFile } from '../../src/runner/file-format.js'
import { findObjectDrift } from '../../src/verify/index.js'
import { freshDatabase } from '../support/db.js'
import { CORPUS, corpusMissing, testUnless } from '../support/skip.js'

interface CorpusSet {
  name: string
  /** Paths inside the corpus, in the order the project's tool applies them. */
  files: () => string[]
  stub?: string
}

const naturally = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })
const list = (dir: string, keep: (f: string) => boolean) =>
  readdirSync(join(CORPUS, dir))
    .filter(keep)
    .sort(naturally)
    .map((f) => join(dir, f))

/** Flyway versions: V17 < V17.1 < V17.2 < V18. */
function flywayOrder(a: string, b: string): number {
  const parts = (p: string) => /\/V([\d.]+)__/.exec(p)![1].split('.').map(Number)
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1)
  return 0
}

const SETS: CorpusSet[] = [
  {
    // Prisma orders folders by name; two share a timestamp, which is why this reads them directly.
    name: 'trigger.dev (Prisma, 820 files)',
    files: () =>
      list('triggerdotdev__trigger.dev/internal-packages/database/prisma/migrations', (f) => /^\d+_/.test(f)).map((d) =>
        join(d, 'migration.sql'),
      ),
  },
  { name: 'atuin (sqlx)', files: () => list('atuinsh__atuin/crates/atuin-server-postgres/migrations', (f) => f.endsWith('.sql')) },
  {
    name: 'marquez (Flyway)',
    files: () =>
      list('MarquezProject__marquez/api/src/main/resources/marquez/db/migration', (f) => /^V[\d.]+__.*\.sql$/.test(f)).sort(flywayOrder),
  },
  { name: 'authelia', files: () => list('authelia__authelia/internal/storage/migrations/postgres', (f) => f.endsWith('.up.sql')) },
  {
    name: 'basejump (Supabase)',
    files: () => list('usebasejump__basejump/supabase/migrations', (f) => f.endsWith('.sql')),
    stub: 'supabase_stub.sql',
  },
]

for (const set of SETS) {
  testUnless(corpusMissing ?? missingFrom(set))(
    `${set.name}: built from its files, the database verifies with no missing object`,
    async () => {
      const db = await freshDatabase()
      const sql = connect({ url: db.url })
      try {
        if (set.stub) await sql.unsafe(readFileSync(join(CORPUS, set.stub), 'utf8'))
        const files: MigrationFile[] = set.files().map((path, i) => {
          const content = readFileSync(join(CORPUS, path), 'utf8')
          return { version: i + 1, name: 'corpus', path, content, checksum: checksum(content), noTransaction: false }
        })
        for (const file of files) await sql.unsafe(normalize(file.content))
        const drift = await findObjectDrift(sql, files, 'strata')
        assert.equal(
          drift.problems.map((p) => p.message),
          [],
        )
        assert.ok(drift.checked > files.length, `${drift.checked} objects checked for ${files.length} files`)
      } finally {
        await sql.end()
        await db.drop()
      }
    },
  )
}

/** Why a set cannot run although the corpus is there (a project missing from it), or undefined. */
function missingFrom(set: CorpusSet): string | undefined {
  try {
    return set.files().length > 0 ? undefined : `${set.name} has no files in ${CORPUS}`
  } catch (e) {
    return `${set.name} is not in ${CORPUS}: ${(e as Error).message}`
  }
}

test.run()
