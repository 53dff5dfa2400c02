import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'

const rule = 'add-column-volatile-default'

test('reports columns whose default or kind rewrites the table', async () => {
  const file = sql(
    'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
    'ALTER TABLE users ADD COLUMN seen_at timestamptz NOT NULL DEFAULT clock_timestamp();',
    'ALTER TABLE users ADD COLUMN n bigserial;',
    'ALTER TABLE users ADD COLUMN k int GENERATED ALWAYS AS IDENTITY;',
    'ALTER TABLE users ADD COLUMN doubled int GENERATED ALWAYS AS (age * 2) STORED;',
    'ALTER TABLE users ADD COLUMN code text DEFAULT md5(random()::text);',
  )
  assert.equal(await hits(rule, file), ['1:30', '2:30', '3:30', '4:30', '5:30', '6:30'])
})

test('accepts constant and stable defaults, and tables created in the same file', async () => {
  const file = sql(
    "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';",
    'ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();',
    'ALTER TABLE users ADD COLUMN flags int[] DEFAULT ARRAY[]::int[];',
    'ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();',
    'CREATE TABLE IF NOT EXISTS sessions (id int);',
    'ALTER TABLE sessions ADD COLUMN token uuid DEFAULT gen_random_uuid();',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
