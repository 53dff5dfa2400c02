import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

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

test('a function Strata does not know to be immutable or stable counts as possibly volatile', async () => {
  const file = sql(
    'ALTER TABLE recipe ADD COLUMN a uuid DEFAULT uuid();',
    'ALTER TABLE recipe ADD COLUMN b jsonb DEFAULT app.default_settings();',
    'ALTER TABLE recipe ADD COLUMN c text DEFAULT lower(make_code());',
  )
  assert.equal(await hits(rule, file), ['1:31', '2:31', '3:31'])
  const [unknown] = (await findingsFor(file)).filter((f) => f.rule === rule)
  assert.match(unknown!.message, 'uuid(), which Strata does not know to be immutable or stable')
})

test('accepts built-ins known to be immutable or stable, and functions the file created IMMUTABLE or STABLE', async () => {
  const file = sql(
    "ALTER TABLE recipe ADD COLUMN a timestamptz DEFAULT date_trunc('day', now());",
    "ALTER TABLE recipe ADD COLUMN b text DEFAULT lpad(to_char(42, 'FM999'), 6, '0');",
    "ALTER TABLE recipe ADD COLUMN c jsonb DEFAULT jsonb_build_object('v', 1);",
    'ALTER TABLE recipe ADD COLUMN d timestamptz DEFAULT CURRENT_TIMESTAMP;',
    'CREATE OR REPLACE FUNCTION app.zero() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 0 $$;',
    'ALTER TABLE recipe ADD COLUMN e int DEFAULT app.zero();',
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
