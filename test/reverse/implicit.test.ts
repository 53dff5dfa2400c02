// Reverse stubs for what Postgres does implicitly: a dropped materialized view's indexes, comments and grants,
// what DROP ... CASCADE took along, a view that CREATE OR REPLACE cannot narrow back, names changed by renames,
// settings with a known previous value. Checked as text, then on a real database with check-reverse.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkReverse, formatDifferences } from '../../src/index.js'
import { reverseMigration, type ReverseResult } from '../../src/reverse/index.js'
import { freshDatabase } from '../support/db.js'
import { project } from '../support/project.js'

async function reverse(sql: string, earlier: string[] = []): Promise<ReverseResult> {
  const history = earlier.map((content, i) => ({ path: `migrations/00${i + 1}_earlier.sql`, content }))
  return reverseMigration({ path: 'migrations/009_change.sql', content: sql }, history)
}

const statements = (r: ReverseResult) =>
  r.entries
    .slice()
    .reverse()
    .flatMap((e) => e.sql)

const base = `CREATE TABLE app.orders (id int PRIMARY KEY, total int, note varchar(20));
CREATE MATERIALIZED VIEW app.totals AS SELECT id, total FROM app.orders;
CREATE UNIQUE INDEX totals_id ON app.totals (id);
COMMENT ON MATERIALIZED VIEW app.totals IS 'per order';
GRANT SELECT ON app.totals TO reporting;`

test('a dropped materialized view comes back with its indexes, comment and grants, as the history made them', async () => {
  const r = await reverse('DROP MATERIALIZED VIEW app.totals;', [base])
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    'CREATE MATERIALIZED VIEW app.totals AS SELECT id, total FROM app.orders',
    'CREATE UNIQUE INDEX totals_id ON app.totals (id)',
    "COMMENT ON MATERIALIZED VIEW app.totals IS 'per order'",
    'GRANT SELECT ON app.totals TO reporting',
  ])
})

test('DROP ... CASCADE: the views on the view, and the views on those, come back after it, in order', async () => {
  const views = `CREATE VIEW app.a AS SELECT id, total FROM app.orders;
CREATE VIEW app.b AS SELECT id FROM app.a;
CREATE VIEW app.c AS SELECT b.id FROM app.b JOIN app.a USING (id);
CREATE VIEW app.unrelated AS SELECT 1 AS one;`
  const r = await reverse('DROP VIEW app.a CASCADE;', [base, views])
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    'CREATE VIEW app.a AS SELECT id, total FROM app.orders',
    'CREATE VIEW app.b AS SELECT id FROM app.a',
    'CREATE VIEW app.c AS SELECT b.id FROM app.b JOIN app.a USING (id)',
  ])
  assert.match(r.entries[0]!.note!, 'what CASCADE dropped with it: relation app.b, relation app.c')
})

test('DROP FUNCTION ... CASCADE brings back the triggers and defaults that used it; DROP TYPE ... CASCADE of a column type stays a refusal', async () => {
  const earlier = `CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION app.code() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE TABLE app.items (id int, code text DEFAULT app.code());
CREATE TRIGGER items_touch BEFORE UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TYPE app.mood AS ENUM ('ok');
ALTER TABLE app.items ADD COLUMN mood app.mood;`
  const functions = await reverse('DROP FUNCTION app.touch() CASCADE; DROP FUNCTION app.code() CASCADE;', [earlier])
  assert.ok(functions.complete, JSON.stringify(functions.irreversible))
  assert.equal(statements(functions), [
    "CREATE FUNCTION app.code() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
    'ALTER TABLE app.items ALTER COLUMN code SET DEFAULT app.code()',
    'CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
    'CREATE TRIGGER items_touch BEFORE UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch()',
  ])
  const type = await reverse('DROP TYPE app.mood CASCADE;', [earlier])
  assert.not.ok(type.complete)
  assert.match(type.irreversible[0]!.why, 'app.items holds data')
})

test('CREATE OR REPLACE VIEW that added a column: the stub drops the view (and the views on it) and makes them again as they were', async () => {
  const views = `CREATE VIEW app.v AS SELECT id FROM app.orders;
CREATE VIEW app.w AS SELECT id FROM app.v;
GRANT SELECT ON app.v TO reporting;`
  const widened = await reverse('CREATE OR REPLACE VIEW app.v AS SELECT id, total FROM app.orders;', [base, views])
  assert.equal(statements(widened), [
    'DROP VIEW IF EXISTS app.w',
    'DROP VIEW IF EXISTS app.v',
    'CREATE VIEW app.v AS SELECT id FROM app.orders',
    'GRANT SELECT ON app.v TO reporting',
    'CREATE VIEW app.w AS SELECT id FROM app.v',
  ])
  const sameColumns = await reverse('CREATE OR REPLACE VIEW app.v AS SELECT id FROM app.orders WHERE total > 0;', [base, views])
  assert.equal(statements(sameColumns), ['CREATE OR REPLACE VIEW app.v AS SELECT id FROM app.orders'])
})

test('names follow renames: a renamed index, constraint or sequence is restored under its new name; so are objects on a renamed table', async () => {
  const earlier = `CREATE SEQUENCE app.counter;
CREATE TABLE app.t (id int DEFAULT nextval('app.counter'), n int, CONSTRAINT t_n_check CHECK (n > 0));
CREATE INDEX t_n ON app.t (n);
ALTER INDEX app.t_n RENAME TO t_n_idx;
ALTER TABLE app.t RENAME CONSTRAINT t_n_check TO t_n_positive;
ALTER SEQUENCE app.counter RENAME TO ticket;
ALTER TABLE app.t RENAME TO tickets;`
  const r = await reverse(
    `DROP INDEX app.t_n_idx;
ALTER TABLE app.tickets DROP CONSTRAINT t_n_positive;
ALTER TABLE app.tickets ALTER COLUMN id SET DEFAULT 0;`,
    [earlier],
  )
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    "ALTER TABLE app.tickets ALTER COLUMN id SET DEFAULT nextval('app.ticket')",
    'ALTER TABLE app.tickets ADD CONSTRAINT t_n_positive CHECK (n > 0)',
    'CREATE INDEX t_n_idx ON app.tickets (n)',
  ])
})

test('a view that reads a renamed column is not made again from its old text: that stays a refusal', async () => {
  const earlier = 'CREATE TABLE app.t (a int); CREATE VIEW app.v AS SELECT a FROM app.t; ALTER TABLE app.t RENAME COLUMN a TO b;'
  const r = await reverse('DROP VIEW app.v;', [earlier])
  assert.not.ok(r.complete)
  assert.match(r.irreversible[0]!.why, 'the definition of app.v is not known from the files')
})

test('settings with a known previous value are set back: statistics, storage parameters, replica identity, cluster, a widened varchar, a domain', async () => {
  const earlier = `CREATE TABLE app.t (id int PRIMARY KEY, note varchar(20)) WITH (fillfactor = 90);
CREATE INDEX t_note ON app.t (note);
CREATE DOMAIN app.cents AS int DEFAULT 0 NOT NULL CONSTRAINT cents_positive CHECK (VALUE >= 0);`
  const r = await reverse(
    `ALTER TABLE app.t ALTER COLUMN note SET STATISTICS 500, SET (fillfactor = 70, autovacuum_enabled = false);
ALTER TABLE app.t REPLICA IDENTITY FULL, CLUSTER ON t_note;
ALTER TABLE app.t ALTER COLUMN note TYPE text;
ALTER DOMAIN app.cents SET DEFAULT 100;
ALTER DOMAIN app.cents DROP NOT NULL;
ALTER DOMAIN app.cents DROP CONSTRAINT cents_positive;`,
    [earlier],
  )
  assert.ok(r.complete, JSON.stringify(r.irreversible))
  assert.equal(statements(r), [
    'ALTER DOMAIN app.cents ADD CONSTRAINT cents_positive CHECK (VALUE >= 0)',
    'ALTER DOMAIN app.cents SET NOT NULL',
    'ALTER DOMAIN app.cents SET DEFAULT 0',
    'ALTER TABLE app.t ALTER COLUMN note TYPE varchar(20)',
    'ALTER TABLE app.t SET WITHOUT CLUSTER',
    'ALTER TABLE app.t REPLICA IDENTITY DEFAULT',
    'ALTER TABLE app.t SET (fillfactor = 90)',
    'ALTER TABLE app.t RESET (autovacuum_enabled)',
    'ALTER TABLE app.t ALTER COLUMN note SET STATISTICS -1',
  ])
})

test('a DROP TABLE stub stays unfinished, but its TODO holds the table as the history made it', async () => {
  const earlier = `CREATE TABLE app.t (id int);
ALTER TABLE app.t ADD COLUMN note text;
CREATE INDEX t_note ON app.t (note);
GRANT SELECT ON app.t TO reporting;`
  const r = await reverse('DROP TABLE app.t;', [earlier])
  assert.not.ok(r.complete)
  assert.match(r.text, /-- TODO: cannot be reversed automatically: the rows of app\.t are gone/)
  assert.match(
    r.text,
    'it comes back empty: load its rows from a backup after it.\nCREATE TABLE app.t (id int);\nALTER TABLE app.t ADD COLUMN note text;\nCREATE INDEX t_note ON app.t (note);\nGRANT SELECT ON app.t TO reporting;',
  )
})

test('on a real database: these stubs restore the schema exactly (check-reverse)', async () => {
  const cwd = project({
    'migrations/001_base.sql': `CREATE ROLE strata_implicit_reader;
CREATE TABLE orders (id int PRIMARY KEY, total int, note varchar(20)) WITH (fillfactor = 90);
CREATE INDEX orders_note ON orders (note);
CREATE MATERIALIZED VIEW totals AS SELECT id, total FROM orders;
CREATE UNIQUE INDEX totals_id ON totals (id);
COMMENT ON MATERIALIZED VIEW totals IS 'per order';
GRANT SELECT ON totals TO strata_implicit_reader;
CREATE VIEW a AS SELECT id, total FROM orders;
CREATE VIEW b AS SELECT id FROM a;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE SEQUENCE counter;
CREATE TABLE tickets (id int DEFAULT nextval('counter'), n int CONSTRAINT n_check CHECK (n > 0));
CREATE DOMAIN cents AS int DEFAULT 0 NOT NULL CONSTRAINT cents_positive CHECK (VALUE >= 0);`,
    'migrations/002_renames.sql': `ALTER INDEX orders_note RENAME TO orders_note_idx;
ALTER TABLE tickets RENAME CONSTRAINT n_check TO n_positive;
ALTER SEQUENCE counter RENAME TO ticket_counter;`,
    'migrations/003_implicit.sql': `DROP MATERIALIZED VIEW totals;
DROP VIEW a CASCADE;
DROP FUNCTION touch() CASCADE;
DROP INDEX orders_note_idx;
ALTER TABLE tickets DROP CONSTRAINT n_positive, ALTER COLUMN id SET DEFAULT 0;`,
    'migrations/004_narrow.sql': `CREATE VIEW v AS SELECT id FROM orders;
CREATE VIEW w AS SELECT id FROM v;`,
    'migrations/005_widen.sql': 'CREATE OR REPLACE VIEW v AS SELECT id, total FROM orders;',
    'migrations/006_settings.sql': `ALTER TABLE orders ALTER COLUMN note SET STATISTICS 500, SET (fillfactor = 70, autovacuum_enabled = false);
ALTER TABLE orders REPLICA IDENTITY FULL;
ALTER TABLE orders ALTER COLUMN note TYPE text;
ALTER DOMAIN cents SET DEFAULT 100;
ALTER DOMAIN cents DROP NOT NULL;
ALTER DOMAIN cents DROP CONSTRAINT cents_positive;`,
  })
  const db = await freshDatabase()
  try {
    await db.sql.unsafe('drop role if exists strata_implicit_reader')
    const result = await checkReverse({ cwd, url: db.url })
    const problems = result.files
      .filter((f) => f.status !== 'exact')
      .map((f) => `${f.path}: ${f.status}: ${f.message}\n${formatDifferences(f.differences)}`)
    assert.equal(problems, [])
    assert.is(result.files.length, 6)
  } finally {
    await db.drop()
    await db.sql.unsafe('select 1').catch(() => {})
  }
})

test.run()
