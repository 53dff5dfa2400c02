// Real Prisma histories applied from their folders as they are: trigger.dev (two folders share a timestamp,
// 72 lone CREATE INDEX CONCURRENTLY files, 13 enum rewrites with their own BEGIN … COMMIT) and hoppscotch.
import { test } from 'uvu'
import { applyAndCompare, missing, psqlMissing, type CorpusSet } from './corpus-sets.js'
import { testUnless } from '../support/skip.js'

const SETS: CorpusSet[] = [
  {
    name: 'trigger.dev database',
    layout: 'prisma',
    dir: 'triggerdotdev__trigger.dev/internal-packages/database/prisma/migrations',
    files: 820,
  },
  {
    name: 'trigger.dev run-ops-database',
    layout: 'prisma',
    dir: 'triggerdotdev__trigger.dev/internal-packages/run-ops-database/prisma/migrations',
    files: 3,
  },
  { name: 'hoppscotch', layout: 'prisma', dir: 'hoppscotch__hoppscotch/packages/hoppscotch-backend/prisma/migrations', files: 21 },
]

for (const set of SETS)
  testUnless(missing(set) ?? psqlMissing)(`${set.name}: applied as it is, verify passes, the schema is psql's`, () => applyAndCompare(set))

test.run()
