// Real goose histories: hatchet (224 files; StatementBegin/End, NO TRANSACTION in two spellings, LOCK TABLE in
// a transaction) up to the Go migration the corpus lacks, and openfga (Down sections that must never run).
import { test } from 'uvu'
import { applyAndCompare, missing, psqlMissing, type CorpusSet } from './corpus-sets.js'
import { testUnless } from '../support/skip.js'

const SETS: CorpusSet[] = [
  // 20260424190713_v1_0_99.go creates what 20260424205453_v1_0_100.sql needs: the corpus has no Go files.
  { name: 'hatchet', layout: 'goose', dir: 'hatchet-dev__hatchet/cmd/hatchet-migrate/migrate/migrations', files: 181, to: 20260424190712 },
  { name: 'openfga', layout: 'goose', dir: 'openfga__openfga/assets/migrations/postgres', files: 6 },
]

for (const set of SETS)
  testUnless(missing(set) ?? psqlMissing)(`${set.name}: applied as it is, verify passes, the schema is psql's`, () => applyAndCompare(set))

test.run()
