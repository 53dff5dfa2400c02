// Large files are parsed in pieces, with long VALUES lists cut to their first row (src/sql/pieces.ts). These
// tests hold that to what parsing the whole file at once gives: the same statements, findings and errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lintSources } from '../../src/lint/index.js'
import type { Finding } from '../../src/lint/index.js'
import { LineIndex, loadParser, parseSql } from '../../src/sql/index.js'
import type { SqlSyntaxError, Statement } from '../../src/sql/index.js'
import { statementSpans } from '../../src/sql/boundaries.js'
import { type PieceLimits, PIECE_LIMITS, parsePieces } from '../../src/sql/pieces.js'

/** Every statement its own piece, every multi-row VALUES list cut, every row checked on its own. */
const TINY: PieceLimits = { pieceChars: 1, elideRowsOver: 0, rowBatchChars: 1 }
/** The whole file one piece, but VALUES lists still cut: node locations after a cut must shift. */
const CUT_ONLY: PieceLimits = { pieceChars: 1e12, elideRowsOver: 0, rowBatchChars: 1 }
/** Parsing the whole file at once, as before pieces existed. */
const WHOLE: PieceLimits = { pieceChars: 1e12, elideRowsOver: 1e12, rowBatchChars: 1e12 }

type Parser = Awaited<ReturnType<typeof loadParser>>

function piecewise(parser: Pick<Parser, 'parseSync' | 'normalizeSync'>, text: string, limits: PieceLimits) {
  const statements: Statement[] = []
  let error: SqlSyntaxError | undefined
  for (const piece of parsePieces(parser, text, new LineIndex(text), limits)) {
    if ('error' in piece) error = piece.error
    else statements.push(...piece.statements)
  }
  return { statements, error }
}

const located = (statements: Statement[]) =>
  statements.map(({ kind, start, end, text, line, column }) => ({ kind, start, end, text, line, column }))

const lint = (content: string, limits: PieceLimits): Promise<Finding[]> =>
  lintSources([{ path: 'migrations/001_test.sql', content }], { rules: { 'insert-without-on-conflict': 'warning' } }, limits)

// Semicolons that do not end a statement, in every place Postgres's lexer allows them.
const TRICKY = [
  '-- a comment; with a semicolon',
  `CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, "odd;name" text DEFAULT 'a;b', note text DEFAULT E'it\\'s; \\\\ fine');`,
  '/* block ; /* nested ; */ still a comment ; */',
  'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$;',
  "CREATE OR REPLACE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN 'x;$$;y'; END $body$;",
  'CREATE OR REPLACE FUNCTION h(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT a; END;',
  'CREATE OR REPLACE RULE r AS ON INSERT TO t DO ALSO (NOTIFY t1; NOTIFY t2);',
  "SELECT a$b, a$$b, $1, '\\', 'x;y', U&'d\\0061t;', U&\"d;a\", $ü$ ; $ü$ FROM t$x;",
  "INSERT INTO t (id, note) VALUES (1, 'x;y'), (2, E'\\'); DROP TABLE t; --'), (3, DEFAULT)",
  '  ON CONFLICT (id) DO NOTHING RETURNING (SELECT 1);',
  'INSERT INTO t DEFAULT VALUES;',
  "INSERT INTO t SELECT * FROM (VALUES (4, 'a'), (5, 'b')) v;",
  ';;',
  "SELECT 'é😀'; SELECT 1 -- the last statement has no semicolon",
].join('\n')

const variants: [string, string][] = [
  ['LF', TRICKY],
  ['CRLF', TRICKY.replace(/\n/g, '\r\n')],
  ['byte order mark', '\uFEFF' + TRICKY],
]

for (const [name, text] of variants) {
  test(`pieces give the statements of a whole-file parse (${name})`, async () => {
    const parser = await loadParser()
    const whole = await parseSql(text)
    assert.is(whole.error, undefined)
    for (const limits of [TINY, CUT_ONLY, PIECE_LIMITS]) {
      const { statements, error } = piecewise(parser, text, limits)
      assert.is(error, undefined)
      assert.equal(located(statements), located(whole.statements))
    }
  })
}

test('the lexer ends statements where the parser does', async () => {
  const whole = await parseSql(TRICKY)
  const spans = [...statementSpans(TRICKY)].filter((span) => /[^\s;]/.test(TRICKY.slice(span.start, span.end).replace(/--.*$/gm, '')))
  assert.is(spans.length, whole.statements.length)
  spans.forEach((span, i) => assert.ok(span.start <= whole.statements[i]!.start && whole.statements[i]!.end <= span.end, `statement ${i}`))
  // The rows of the INSERT ... VALUES list, and of no other statement.
  const rows = spans.filter((span) => span.rows.length)
  assert.is(rows.length, 1)
  assert.equal(
    rows[0]!.rows.map((offset) => TRICKY[offset - 1] === ')' || TRICKY[offset] === '('),
    [true, true, true, true, true, true],
  )
})

test('a cut VALUES list keeps its first row in the tree, and the rest of the statement where it was', async () => {
  const parser = await loadParser()
  const text = 'INSERT INTO t (a) VALUES (1), (2), (3)\nON CONFLICT (a) DO NOTHING;'
  const { statements } = piecewise(parser, text, TINY)
  const insert = (statements[0]!.node as { InsertStmt: { selectStmt: { SelectStmt: { valuesLists: unknown[] } } } }).InsertStmt
  assert.is(insert.selectStmt.SelectStmt.valuesLists.length, 1)
  assert.is(statements[0]!.text, text.slice(0, -1))
})

test('findings are the same, with the same positions, however the file is cut', async () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => `(${i}, 'é ${i}')`).join(',\n  ')
  const text = [
    'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, label text);',
    `INSERT INTO items (id, label) VALUES\n  ${rows(50)};`,
    'ALTER TABLE items ADD COLUMN price int;',
    'WITH gone AS (DELETE FROM other_items RETURNING id) SELECT count(*) FROM gone;',
    `INSERT INTO items (id, label) VALUES\n  ${rows(20)}\nON CONFLICT (id) DO NOTHING;`,
    'ALTER TABLE other_items ADD CONSTRAINT items_fk FOREIGN KEY (id) REFERENCES items (id);',
    '-- strata:ignore drop-table',
    'DROP TABLE IF EXISTS old_items;',
    'DROP TABLE IF EXISTS older_items;',
  ].join('\n')
  const whole = await lint(text, WHOLE)
  assert.equal(
    whole.map((f) => `${f.line}:${f.column} ${f.rule}`),
    [
      '2:1 insert-without-on-conflict',
      '53:30 require-if-not-exists',
      '54:27 delete-without-where',
      '77:29 unguarded-create',
      '77:29 add-foreign-key-validated',
      '80:1 drop-table',
    ],
  )
  assert.equal(await lint(text, TINY), whole)
  assert.equal(await lint(text, CUT_ONLY), whole)
})

test('a syntax error after many statements is the only finding, where the whole-file parse puts it', async () => {
  const text = ['DROP TABLE IF EXISTS a;', 'SELECT 1;', "INSERT INTO t VALUES (1), (2, 'é'), (3 +), (4);", 'DROP TABLE IF EXISTS b;'].join(
    '\n',
  )
  const whole = await lint(text, WHOLE)
  assert.equal(
    whole.map((f) => `${f.line}:${f.column} ${f.rule}`),
    ['3:41 syntax-error'],
  )
  assert.equal(await lint(text, TINY), whole)
  assert.equal(await lint(text, CUT_ONLY), whole)
  for (const broken of [
    "SELECT 1;\nSELECT 'abc",
    'SELECT 1;\nDO $x$ BEGIN END $y$;',
    'SELECT 1;\nINSERT INTO t VALUES (1), (2) ON CONFLIT DO NOTHING;',
  ]) {
    assert.equal(await lint(broken, TINY), await lint(broken, WHOLE), broken)
  }
})

test('when a piece does not parse, the rest of the file parsed at once decides', async () => {
  const parser = await loadParser()
  // A row check that always fails stands for a lexer that cut where Postgres would not.
  const suspicious = {
    parseSync: parser.parseSync,
    normalizeSync: () => {
      throw new Error('does not parse')
    },
  }
  const text = 'SELECT 1;\nINSERT INTO t VALUES (1), (2), (3);\nSELECT 2;'
  const { statements, error } = piecewise(suspicious, text, TINY)
  assert.is(error, undefined)
  assert.equal(located(statements), located((await parseSql(text)).statements))
})

test('a long file: statements, findings and a syntax error near its end keep their lines', async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `(${i}, 'customer ${i} ünïcödé', '{a,b}')`).join(',\n  ')
  const insert = `INSERT INTO seed (id, name, tags) VALUES\n  ${rows}\nON CONFLICT (id) DO NOTHING;`
  assert.ok(insert.length > PIECE_LIMITS.elideRowsOver, 'long enough to be cut')
  const body = ['CREATE TABLE IF NOT EXISTS seed (id int PRIMARY KEY, name text, tags text[]);', ...Array(20).fill(insert)].join('\n')
  assert.ok(body.length > 4 * PIECE_LIMITS.pieceChars, 'long enough for several pieces')
  const tail = "INSERT INTO seed (id, name) VALUES (-1, 'last');\nDELETE FROM other_seed;\n"
  const text = `${body}\n${tail}`
  const lastLine = text.split('\n').length - 1
  const findings = await lint(text, PIECE_LIMITS)
  assert.equal(
    findings.map((f) => `${f.line}:${f.column} ${f.rule}`),
    [`${lastLine - 1}:1 insert-without-on-conflict`, `${lastLine}:1 delete-without-where`],
  )
  // The error is in the last row of a VALUES list long enough to be cut and checked in batches.
  const broken = `${body}\nINSERT INTO seed (id, name) VALUES\n  ${rows.replace(/, '\{a,b\}'\)/g, ')')},\n  (-2 'b');\n`
  const at = broken.indexOf("'b');")
  const [error, ...others] = await lint(broken, PIECE_LIMITS)
  assert.equal(others, [])
  assert.equal([error!.rule, error!.line, error!.column], ['syntax-error', broken.slice(0, at).split('\n').length, 7])
  assert.equal(await lint(broken, PIECE_LIMITS), await lint(broken, WHOLE))
})

test.run()
