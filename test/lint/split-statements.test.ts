import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { splitStatements, lineColumn } from '../../src/sql/index.js'

const texts = async (sql: string) => (await splitStatements(sql)).map((statement) => statement.text)

test('splits on semicolons, leaving out comments between statements and the semicolons', async () => {
  assert.equal(await texts('-- first\nCREATE TABLE a (id int);\n/* second */\nSELECT 1;\n'), ['CREATE TABLE a (id int)', 'SELECT 1'])
})

test('keeps semicolons inside $$ bodies, $tag$ quoting, strings, identifiers and comments', async () => {
  const sql = [
    'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$;',
    "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$;",
    'SELECT \'x;y\', "odd;name" FROM t -- trailing; comment\n;',
    'SELECT 2',
  ].join('\n')
  assert.equal(await texts(sql), [
    'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$',
    "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$",
    'SELECT \'x;y\', "odd;name" FROM t -- trailing; comment',
    'SELECT 2',
  ])
})

test('reports where each statement starts, in characters, after non-ASCII text', async () => {
  const sql = "-- café 😀 naïve\nSELECT 1; SELECT 'é';\n  CREATE INDEX CONCURRENTLY i ON t (a);"
  const statements = await splitStatements(sql)
  assert.equal(
    statements.map(({ start, line, column }) => ({ start, line, column })),
    [
      { start: sql.indexOf('SELECT 1'), line: 2, column: 1 },
      { start: sql.indexOf("SELECT 'é'"), line: 2, column: 11 },
      { start: sql.indexOf('CREATE INDEX'), line: 3, column: 3 },
    ],
  )
  assert.is(statements[1]!.text, "SELECT 'é'")
})

test('falls back to the scanner for text that does not parse, still respecting quoting', async () => {
  const sql = "SELECT 1;\nCREATE FUNCTIO broken() AS $$ a; b $$;\nSELECT ';';"
  assert.equal(await texts(sql), ['SELECT 1', 'CREATE FUNCTIO broken() AS $$ a; b $$', "SELECT ';'"])
})

test('offsets stay right after a byte order mark, in the parser and the scanner paths', async () => {
  const parsed = await splitStatements("\uFEFFSELECT 1;\nSELECT 'é';")
  assert.equal(
    parsed.map(({ text, start }) => [text, start]),
    [
      ['SELECT 1', 1],
      ["SELECT 'é'", 11],
    ],
  )
  const scanned = await splitStatements("\uFEFFSELECT 'é';\nSELEC 2;")
  assert.equal(
    scanned.map(({ text, start, line, column }) => [text, start, line, column]),
    [
      ["SELECT 'é'", 1, 1, 2],
      ['SELEC 2', 13, 2, 1],
    ],
  )
})

test('keeps a BEGIN ATOMIC body whole', async () => {
  const sql = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3;'
  assert.equal(await texts(sql), ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END', 'SELECT 3'])
  const broken = `${sql}\nSELEC 4;`
  assert.equal((await texts(broken)).length, 3, 'the scanner fallback keeps it whole too')
})

test('an empty or comment-only file has no statements; text that does not scan is one statement', async () => {
  assert.equal(await texts(''), [])
  assert.equal(await texts('-- nothing here\n/* at all */\n'), [])
  assert.equal(await texts("  SELECT 'unterminated;\n"), ["SELECT 'unterminated;"])
})

test('lineColumn gives 1-based line and column', () => {
  assert.equal(lineColumn('ab\ncd', 0), { line: 1, column: 1 })
  assert.equal(lineColumn('ab\ncd', 4), { line: 2, column: 2 })
})

test.run()
