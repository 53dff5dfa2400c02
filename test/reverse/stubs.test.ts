// Reverse stubs from text alone: what each statement becomes, and what is refused.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checksum } from '../../src/runner/file-format.js'
import { readStubHeader, reverseMigration, type ReverseResult } from '../../src/reverse/index.js'

async function reverse(sql: string, earlier: string[] = []): Promise<ReverseResult> {
  const history = earlier.map((content, i) => ({ path: `migrations/00${i + 1}_earlier.sql`, content }))
  return reverseMigration({ path: 'migrations/009_change.sql', content: sql }, history)
}

/** The statements of a stub, without comments, in order. */
function statements(result: ReverseResult): string[] {
  return result.entries
    .slice()
    .reverse()
    .flatMap((e) => e.sql)
}

test('CREATE TABLE, ADD COLUMN, CREATE INDEX reverse to their DROP ... IF EXISTS, last statement first', async () => {
  const r = await reverse(
    `CREATE TABLE IF NOT EXISTS app.orders (id bigint PRIMARY KEY);
ALTER TABLE app.customers ADD COLUMN IF NOT EXISTS tier text;
CREATE INDEX IF NOT EXISTS customers_tier_idx ON app.customers (tier);`,
  )
  assert.ok(r.complete)
  assert.equal(statements(r), [
    'DROP INDEX IF EXISTS app.customers_tier_idx',
    'ALTER TABLE app.customers DROP COLUMN IF EXISTS tier',
    'DROP TABLE IF EXISTS app.orders',
  ])
})

test('the stub header names the up file and its checksum; readStubHeader reads it back', async () => {
  const sql = 'CREATE TABLE t (id int);\n'
  const r = await reverse(sql)
  assert.ok(r.text.includes(`-- strata:reverses 009_change.sql sha256:${checksum(sql)}`))
  assert.equal(readStubHeader(r.text), { upFile: '009_change.sql', checksum: checksum(sql) })
  assert.is(readStubHeader('-- written by hand\nDROP TABLE t;'), undefined)
  assert.match(r.text, /-- line 1: CREATE TABLE t \(id int\)\nDROP TABLE IF EXISTS t;/)
})

test('quoted mixed-case and reserved-word identifiers are quoted exactly as Postgres needs', async () => {
  const r = await reverse(
    `CREATE TABLE "public"."User" ("id" text PRIMARY KEY, "order" int, "createdAt" timestamptz);
CREATE UNIQUE INDEX "User_email_key" ON "public"."User"("email");
CREATE TABLE "select" (value int, "Group" int);
ALTER TABLE "Account" ADD COLUMN "userId" TEXT;
ALTER TABLE "Account" ADD CONSTRAINT "Account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id");
ALTER TABLE "Account" RENAME COLUMN "userId" TO "ownerId";
CREATE TABLE "my table" (id int);
CREATE TABLE user_key (id int);`,
  )
  assert.equal(statements(r), [
    'DROP TABLE IF EXISTS user_key',
    'DROP TABLE IF EXISTS "my table"',
    'ALTER TABLE "Account" RENAME COLUMN "ownerId" TO "userId"',
    'ALTER TABLE "Account" DROP CONSTRAINT IF EXISTS "Account_userId_fkey"',
    'ALTER TABLE "Account" DROP COLUMN IF EXISTS "userId"',
    'DROP TABLE IF EXISTS "select"',
    // An index is dropped by name in its table's schema, before its table.
    'DROP INDEX IF EXISTS public."User_email_key"',
    'DROP TABLE IF EXISTS public."User"',
  ])
})

test('DROP FUNCTION names the input argument types: OUT, TABLE and defaults left out, types as Postgres spells them', async () => {
  const r = await reverse(
    `CREATE OR REPLACE FUNCTION app.search(q text, lim int DEFAULT 10, OUT id bigint, VARIADIC tags varchar(20)[] DEFAULT '{}') RETURNS SETOF record LANGUAGE sql AS $$ select 1::bigint $$;
CREATE FUNCTION "Util"."Score"(a double precision, b timestamp with time zone, c app.mood, d "char") RETURNS TABLE (s numeric) LANGUAGE sql AS 'select 1';
CREATE PROCEDURE app.tidy(days integer) LANGUAGE sql AS 'select 1';`,
  )
  assert.equal(statements(r), [
    'DROP PROCEDURE IF EXISTS app.tidy(integer)',
    'DROP FUNCTION IF EXISTS "Util"."Score"(double precision, timestamp with time zone, app.mood, "char")',
    'DROP FUNCTION IF EXISTS app.search(text, integer, VARIADIC character varying[])',
  ])
})

test('CREATE OR REPLACE FUNCTION of a function an earlier file defined restores that definition', async () => {
  const first = `CREATE OR REPLACE FUNCTION app.answer() RETURNS int LANGUAGE sql AS $$ select 41 $$;`
  const r = await reverse(`CREATE OR REPLACE FUNCTION app.answer() RETURNS int LANGUAGE sql AS $$ select 42 $$;`, [first])
  assert.equal(statements(r), [first.replace(/;$/, '')])
  const changedType = await reverse(
    `DROP FUNCTION app.answer(); CREATE FUNCTION app.answer() RETURNS bigint LANGUAGE sql AS $$ select 42 $$;`,
    [first],
  )
  assert.equal(statements(changedType), ['DROP FUNCTION IF EXISTS app.answer()', first.replace(/;$/, '')])
  const plain = await reverse(`CREATE OR REPLACE FUNCTION app.answer() RETURNS int LANGUAGE sql AS $$ select 42 $$;`, [
    'CREATE FUNCTION app.answer() RETURNS int LANGUAGE sql AS $$ select 41 $$',
  ])
  assert.match(statements(plain)[0]!, /^CREATE OR REPLACE FUNCTION app\.answer\(\)/)
})

test('policies, triggers, RLS, grants and renames reverse to their counterparts', async () => {
  const earlier = `CREATE TABLE app.notes (id int, body text); CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ begin return new; end $$;`
  const r = await reverse(
    `ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Notes are private" ON app.notes FOR SELECT USING (true);
CREATE TRIGGER notes_touch BEFORE UPDATE ON app.notes FOR EACH ROW EXECUTE FUNCTION app.touch();
GRANT SELECT, UPDATE (body) ON TABLE app.notes TO "Reader", anon WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION app.touch() TO anon;
ALTER TABLE app.notes RENAME TO memos;
ALTER TABLE app.memos RENAME COLUMN body TO text;`,
    [earlier],
  )
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    'ALTER TABLE app.memos RENAME COLUMN text TO body',
    'ALTER TABLE app.memos RENAME TO notes',
    'REVOKE EXECUTE ON FUNCTION app.touch() FROM anon',
    'REVOKE SELECT, UPDATE (body) ON TABLE app.notes FROM "Reader", anon',
    'DROP TRIGGER IF EXISTS notes_touch ON app.notes',
    'DROP POLICY IF EXISTS "Notes are private" ON app.notes',
    'ALTER TABLE app.notes DISABLE ROW LEVEL SECURITY',
  ])
})

test('a REVOKE is undone only when the files show what was held: an earlier GRANT or a PUBLIC default', async () => {
  const earlier = `CREATE TABLE app.t (id int); CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'select 1'; GRANT SELECT ON app.t TO reader;`
  const known = await reverse(`REVOKE SELECT ON app.t FROM reader; REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;`, [earlier])
  assert.equal(statements(known), ['GRANT EXECUTE ON FUNCTION app.f() TO PUBLIC', 'GRANT SELECT ON app.t TO reader'])
  const unknown = await reverse(`REVOKE ALL ON app.t FROM anon;`, [earlier])
  assert.not.ok(unknown.complete)
  assert.is(unknown.irreversible[0]!.what, 'REVOKE')
})

test('a DO block that only guards a create reverses like the create; other DO blocks are irreversible', async () => {
  const guarded = await reverse(`DO $$
BEGIN
  CREATE TYPE app.scope AS ENUM ('read', 'write');
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
    CREATE TYPE public.mood AS ENUM ('ok');
  END IF;
END $$;`)
  assert.equal(statements(guarded), ['DROP TYPE IF EXISTS public.mood', 'DROP TYPE IF EXISTS app.scope'])
  const other = await reverse(`DO $$ BEGIN UPDATE app.t SET x = 1; END $$;`)
  assert.not.ok(other.complete)
  assert.is(other.irreversible[0]!.what, 'DO block')
})

test('a guarded create of something an earlier file made reverses to nothing', async () => {
  const r = await reverse(
    `DO $$ BEGIN CREATE TYPE app.scope AS ENUM ('read'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE IF NOT EXISTS app.t (id int);
CREATE EXTENSION IF NOT EXISTS citext;`,
    [`CREATE TYPE app.scope AS ENUM ('read'); CREATE TABLE app.t (id int); CREATE EXTENSION citext;`],
  )
  assert.ok(r.complete)
  assert.equal(statements(r), [])
  assert.equal(
    r.entries.map((e) => e.outcome),
    ['nothing', 'nothing', 'nothing'],
  )
})

test('INSERT ... ON CONFLICT DO NOTHING reverses to DELETE by key; seed rows of a new table go with the table', async () => {
  const r = await reverse(
    `INSERT INTO app.plans (id, name, price) VALUES (1, 'free', 0), (2, 'pro', 10) ON CONFLICT (id) DO NOTHING;
INSERT INTO app.settings (key, value, note) VALUES ('theme', 'dark', NULL), ('lang', 'en', now()::text) ON CONFLICT DO NOTHING;
CREATE TABLE app.flags (name text PRIMARY KEY);
INSERT INTO app.flags VALUES ('beta');`,
    [`CREATE TABLE app.settings (key text, value text, note text, CONSTRAINT settings_pkey PRIMARY KEY (key));`],
  )
  assert.ok(r.complete)
  assert.equal(statements(r), [
    'DROP TABLE IF EXISTS app.flags',
    "DELETE FROM app.settings WHERE key IN (\n  'theme',\n  'lang'\n)",
    'DELETE FROM app.plans WHERE id IN (\n  1,\n  2\n)',
  ])
})

test('SET DEFAULT, DROP DEFAULT, SET/DROP NOT NULL reverse when the history shows the state before', async () => {
  const earlier = `CREATE TABLE app.t (a int NOT NULL DEFAULT 1, b text, c bigserial);`
  const r = await reverse(
    `ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 2, ALTER COLUMN b SET NOT NULL;
ALTER TABLE app.t ALTER COLUMN a DROP NOT NULL;
ALTER TABLE app.t ALTER COLUMN c DROP DEFAULT;`,
    [earlier],
  )
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    "ALTER TABLE app.t ALTER COLUMN c SET DEFAULT nextval('app.t_c_seq'::regclass)",
    'ALTER TABLE app.t ALTER COLUMN a SET NOT NULL',
    'ALTER TABLE app.t ALTER COLUMN b DROP NOT NULL',
    'ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 1',
  ])
  const unknown = await reverse('ALTER TABLE app.x ALTER COLUMN a SET DEFAULT 2;')
  assert.not.ok(unknown.complete)
})

test('DROP of an index, view or constraint an earlier file made restores it; DROP TABLE is irreversible', async () => {
  const earlier = `CREATE TABLE app.t (id int, email text UNIQUE);
CREATE INDEX t_id_idx ON app.t (id);
CREATE VIEW app.v AS SELECT id FROM app.t;`
  const r = await reverse(`DROP INDEX app.t_id_idx; DROP VIEW app.v; ALTER TABLE app.t DROP CONSTRAINT t_email_key;`, [earlier])
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    'ALTER TABLE app.t ADD CONSTRAINT t_email_key UNIQUE (email)',
    'CREATE VIEW app.v AS SELECT id FROM app.t',
    'CREATE INDEX t_id_idx ON app.t (id)',
  ])
  const dropTable = await reverse('DROP TABLE app.t;', [earlier])
  assert.not.ok(dropTable.complete)
})

test('after a rename, a DROP CONSTRAINT is not restored from text that names the old column', async () => {
  const r = await reverse(`ALTER TABLE app.t DROP CONSTRAINT t_email_key;`, [
    'CREATE TABLE app.t (id int, email text UNIQUE);',
    'ALTER TABLE app.t RENAME COLUMN email TO mail;',
  ])
  assert.not.ok(r.complete)
})

test('a DROP ... IF EXISTS that guards a create in the same file needs no reverse of its own', async () => {
  const r = await reverse(`DROP POLICY IF EXISTS p ON app.t; CREATE POLICY p ON app.t USING (true);`, ['CREATE TABLE app.t (id int);'])
  assert.ok(r.complete)
  assert.equal(statements(r), ['DROP POLICY IF EXISTS p ON app.t'])
  const redefined = await reverse(`DROP POLICY IF EXISTS p ON app.t; CREATE POLICY p ON app.t USING (false);`, [
    'CREATE TABLE app.t (id int); CREATE POLICY p ON app.t USING (true);',
  ])
  assert.equal(statements(redefined), ['DROP POLICY IF EXISTS p ON app.t', 'CREATE POLICY p ON app.t USING (true)'])
})

test('an irreversible statement makes a stub that raises first, naming the file and line, before anything else runs', async () => {
  const r = await reverse(`CREATE TABLE app.audit (id int);
UPDATE app.accounts SET tier = 'free' WHERE tier IS NULL;
DROP TABLE app.legacy;
ALTER TYPE app.mood ADD VALUE 'meh';`)
  assert.not.ok(r.complete)
  assert.equal(
    r.irreversible.map((i) => [i.line, i.what]),
    [
      [2, 'UPDATE'],
      [3, 'DROP TABLE'],
      [4, 'ALTER TYPE ... ADD VALUE'],
    ],
  )
  const firstStatement = r.text.split('\n').find((l) => l && !l.startsWith('--'))!
  assert.is(
    firstStatement,
    "DO $$ BEGIN RAISE EXCEPTION 'strata: migrations/009_change.sql:2: UPDATE cannot be reversed automatically (nor line 3: DROP TABLE, line 4: ALTER TYPE ... ADD VALUE); edit this down file'; END $$;",
  )
  assert.match(r.text, /-- line 3: DROP TABLE app\.legacy\n-- TODO: cannot be reversed automatically/)
  assert.ok(r.text.indexOf('RAISE EXCEPTION') < r.text.indexOf('DROP TABLE IF EXISTS app.audit'))
})

test('statements on objects the same file created need no reverse: they go with the object', async () => {
  const r = await reverse(`CREATE TABLE app.t (id int);
ALTER TABLE app.t ALTER COLUMN id TYPE bigint;
UPDATE app.t SET id = 1;
COMMENT ON TABLE app.t IS 'x';
ALTER TABLE app.t OWNER TO postgres;`)
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), ['DROP TABLE IF EXISTS app.t'])
})

test('COMMENT ON an earlier object restores the earlier comment, or none', async () => {
  const r = await reverse(`COMMENT ON TABLE app.t IS 'new'; COMMENT ON COLUMN app.t.id IS 'the id';`, [
    `CREATE TABLE app.t (id int); COMMENT ON TABLE app.t IS 'old';`,
  ])
  assert.equal(statements(r), ['COMMENT ON COLUMN app.t.id IS NULL', "COMMENT ON TABLE app.t IS 'old'"])
})

test('a no-transaction file gets a no-transaction stub with DROP INDEX CONCURRENTLY', async () => {
  const r = await reverse(`-- strata:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON app.t (a);`)
  assert.match(r.text, /^-- strata:no-transaction$/m)
  assert.equal(statements(r), ['DROP INDEX CONCURRENTLY IF EXISTS app.t_a_idx'])
})

test('SET search_path is repeated at the top of the stub; a file that does not parse reports where', async () => {
  const r = await reverse(`SET search_path = storage, public;\nCREATE TABLE objects (id int);`)
  assert.match(r.text, /SET search_path = storage, public;\n\n-- line 2/)
  const broken = await reverse('CREATE TABLE (;')
  assert.ok(broken.error)
  assert.is(broken.error!.line, 1)
})

test.run()
