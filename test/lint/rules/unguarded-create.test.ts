import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'unguarded-create'

test('reports creates that have no IF NOT EXISTS and no guard', async () => {
  const file = sql(
    'CREATE POLICY owner_only ON notes USING (true);',
    "CREATE TYPE mood AS ENUM ('happy');",
    'CREATE TYPE pair AS (a int, b int);',
    'CREATE DOMAIN email AS text;',
    'CREATE ROLE reporting;',
    'CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();',
    'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1', '3:1', '4:1', '5:1', '6:1', '7:23'])
})

test('DROP POLICY IF EXISTS p ON t; CREATE POLICY p ON t is idempotent', async () => {
  const file = sql('DROP POLICY IF EXISTS owner_only ON notes;', 'CREATE POLICY owner_only ON notes USING (true);')
  assert.equal(await hits(rule, file), [])
})

test('a drop of the same policy name on another table does not guard it', async () => {
  const file = sql('DROP POLICY IF EXISTS owner_only ON other;', 'CREATE POLICY owner_only ON notes USING (true);')
  assert.equal(await hits(rule, file), ['2:1'])
})

test('accepts the matching drops, CREATE OR REPLACE TRIGGER, and a constraint dropped in the same statement', async () => {
  const file = sql(
    'DROP TYPE IF EXISTS mood;',
    "CREATE TYPE mood AS ENUM ('happy');",
    'DROP DOMAIN IF EXISTS email;',
    'CREATE DOMAIN email AS text;',
    'DROP ROLE IF EXISTS reporting;',
    'CREATE ROLE reporting;',
    'DROP TRIGGER IF EXISTS touch ON users;',
    'CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();',
    'CREATE OR REPLACE TRIGGER audit AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION audit();',
    'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key, ADD CONSTRAINT users_email_key UNIQUE (email);',
    'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_name_key;',
    'ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE (name);',
  )
  assert.equal(await hits(rule, file), [])
})

test('a policy on a table the file dropped and re-created is new', async () => {
  const file = sql('DROP TABLE IF EXISTS notes;', 'CREATE TABLE notes (id int);', 'CREATE POLICY owner_only ON notes USING (true);')
  assert.equal(await hits(rule, file), [])
})

test('a DO block that catches duplicate_object guards the create inside it', async () => {
  const file = sql('DO $$', 'BEGIN', "  CREATE TYPE mood AS ENUM ('happy');", 'EXCEPTION', '  WHEN duplicate_object THEN NULL;', 'END $$;')
  assert.equal(await hits(rule, file), [])
})

test('an unguarded ADD CONSTRAINT inside a DO block is reported at its own line', async () => {
  const file = sql('DO $$', 'BEGIN', '  IF true THEN NULL; END IF;', '  ALTER TABLE t ADD PRIMARY KEY (id);', 'END $$;')
  assert.equal(await hits(rule, file), ['4:3'])
})

test('the handler must catch the duplicate: by name, by SQLSTATE, or OTHERS', async () => {
  const file = sql(
    "DO $$ BEGIN CREATE ROLE a; EXCEPTION WHEN SQLSTATE '42710' THEN NULL; END $$;",
    "DO $$ BEGIN CREATE ROLE b; EXCEPTION WHEN OTHERS THEN RAISE WARNING 'skipped'; END $$;",
    'DO $$ BEGIN CREATE ROLE c; EXCEPTION WHEN undefined_object THEN NULL; END $$;',
  )
  assert.equal(await hits(rule, file), ['3:13'])
})

test('a create inside IF NOT EXISTS (...) in a DO block is guarded', async () => {
  const file = sql(
    'DO $$ BEGIN',
    "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporting') THEN",
    '    CREATE ROLE reporting;',
    '  END IF;',
    'END $$;',
  )
  assert.equal(await hits(rule, file), [])
})

test('an unguarded create inside a DO block is reported where it is, after non-ASCII text', async () => {
  const file = sql(
    '-- créer le rôle 😀',
    'DO $body$',
    'BEGIN',
    "  RAISE NOTICE 'é';",
    '  CREATE ROLE reporting;',
    'EXCEPTION WHEN undefined_table THEN NULL;',
    'END $body$;',
  )
  assert.equal(await hits(rule, file), ['5:3'])
})

test('CREATE TYPE and CREATE DOMAIN are told to use the DO-block guard, not DROP ... IF EXISTS', async () => {
  const findings = await findingsFor(sql("CREATE TYPE mood AS ENUM ('happy');", 'CREATE DOMAIN email AS text;', 'CREATE ROLE r;'))
  const help = findings.filter((f) => f.rule === rule).map((f) => f.help)
  assert.match(help[0]!, 'EXCEPTION WHEN duplicate_object')
  assert.not.match(help[0]!, /put DROP TYPE IF EXISTS/i)
  assert.match(help[0]!, 'would fail once a column uses the type')
  assert.not.match(help[1]!, /put DROP DOMAIN IF EXISTS/i)
  assert.match(help[2]!, 'DROP ROLE IF EXISTS')
})

test.run()
