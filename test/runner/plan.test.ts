import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { MigrationFile } from '../../src/runner/file-format.js'
import type { LedgerRow } from '../../src/runner/ledger.js'
import { describeBlocker, makePlan, missingPath } from '../../src/runner/plan.js'

const file = (version: number, path: string): MigrationFile => ({
  version,
  name: path.replace(/^.*?\d+_/, '').replace(/(\/migration)?\.sql$/, ''),
  path,
  content: '',
  checksum: 'c',
  noTransaction: false,
})
const row = (version: number, name: string) => ({ version, name, checksum: 'c', status: 'applied' }) as LedgerRow

test('a missing file is named by the path it would have: the directory and version width of the files beside it', () => {
  const files = [file(2, 'core/migrations/002_users.sql'), file(4, 'core/migrations/004_keys.sql')]
  assert.is(missingPath(files, row(3, 'rls')), 'core/migrations/003_rls.sql')
  assert.is(
    missingPath([file(20240102000000, 'supabase/migrations/20240102000000_b.sql')], row(20240101000000, 'a')),
    'supabase/migrations/20240101000000_a.sql',
  )
  assert.is(missingPath([file(10, 'm/10_b.sql')], row(1, 'a')), 'm/1_a.sql', 'unpadded versions stay unpadded')
  assert.is(
    missingPath([file(20240102000000, 'prisma/migrations/20240102000000_b/migration.sql')], row(20240101000000, 'init')),
    'prisma/migrations/20240101000000_init/migration.sql',
    "Prisma's layout",
  )
})

test('with no file left, it is named in the directory, three digits wide as strata new starts', () => {
  assert.is(missingPath([], row(3, 'rls'), 'core/migrations/'), 'core/migrations/003_rls.sql')
  assert.is(missingPath([], row(3, 'rls')), '003_rls.sql')
})

test('the blocker sentence names the path and the version, and says how to fix it', () => {
  const plan = makePlan([file(1, 'migrations/001_a.sql')], [row(1, 'a'), row(2, 'gone')], { dir: 'migrations' })
  assert.equal(
    plan.blockers.map((b) => [b.state, b.path]),
    [['missing', 'migrations/002_gone.sql']],
  )
  assert.is(
    describeBlocker(plan.blockers[0]!),
    'migrations/002_gone.sql (version 2) is recorded as applied but its file is gone: restore the file, or record its removal with strata repair --rolled-back 2',
  )
})

test.run()
