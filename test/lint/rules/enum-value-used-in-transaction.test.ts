import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'enum-value-used-in-transaction'

test('reports a new enum value used later in the same transaction, at the literal', async () => {
  const file = sql(
    "ALTER TYPE status ADD VALUE IF NOT EXISTS 'archived';",
    "UPDATE posts SET status = 'archived' WHERE deleted;",
    "ALTER TABLE posts ALTER COLUMN status SET DEFAULT 'archived'::status;",
    "DO $$ BEGIN PERFORM 'archived'::status; END $$;",
  )
  assert.equal(await hits(rule, file), ['2:27', '3:51', '4:1'])
  const [finding] = await findingsFor(file, { rules: { 'update-without-where': 'off' } })
  assert.is(finding!.severity, 'error')
  assert.match(finding!.message, /55P04/)
})

test('accepts the value after a COMMIT, in a no-transaction file, as text of another type, and the old values', async () => {
  const file = sql(
    "ALTER TYPE status ADD VALUE IF NOT EXISTS 'archived';",
    "SELECT 'archived'::text, 'draft';",
    'COMMIT;',
    "UPDATE posts SET status = 'archived' WHERE deleted;",
  )
  assert.equal(await hits(rule, file), [])
  const noTransaction = sql(
    '-- strata:no-transaction',
    "ALTER TYPE status ADD VALUE IF NOT EXISTS 'archived';",
    "UPDATE posts SET status = 'archived' WHERE deleted;",
  )
  assert.equal(await hits(rule, noTransaction), [])
})

test.run()
