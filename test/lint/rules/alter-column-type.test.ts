import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hits, sql } from '../support.js'
import { lintSources } from '../../../src/lint/index.js'
import { typeRef } from '../../../src/verify/sql-names.js'

const rule = 'alter-column-type'

test('reports changing a column type', async () => {
  const file = sql(
    'ALTER TABLE users ALTER COLUMN age TYPE bigint;',
    'ALTER TABLE "Event" ALTER COLUMN "at" SET DATA TYPE timestamptz USING "at" AT TIME ZONE \'UTC\';',
  )
  assert.equal(await hits(rule, file), ['1:1', '2:1'])
})

test('does not report other column changes, or a table created in the same file', async () => {
  const file = sql(
    'ALTER TABLE users ALTER COLUMN age SET DEFAULT 0;',
    'ALTER TABLE users RENAME COLUMN age TO years;',
    'CREATE TABLE scratch (n int);',
    'ALTER TABLE scratch ALTER COLUMN n TYPE bigint;',
  )
  assert.equal(await hits(rule, file), [])
})

/** The column types the history before the file left (src/lint/column-types.ts works them out from the files). */
function history(columns: Record<string, [string, number[]?]>) {
  const ref = ([name, mods]: [string, number[]?]) =>
    typeRef({ names: [{ String: { sval: name } }], typmods: mods?.map((m) => ({ A_Const: { ival: { ival: m } } })) } as never)!
  return new Map([['migrations/002_x.sql', new Map(Object.entries(columns).map(([k, v]) => [k, ref(v)]))]])
}

const lines = async (content: string, columnTypes: ReturnType<typeof history>) =>
  (await lintSources([{ path: 'migrations/002_x.sql', content }], { rules: {}, columnTypes }))
    .filter((f) => f.rule === rule)
    .map((f) => f.line)

test('widening varchar, varbit and numeric precision is done in place: no finding; narrowing, USING or a new scale is one', async () => {
  const types = history({
    'users.a': ['varchar', [10]],
    'users.b': ['varchar', [10]],
    'users.c': ['text'],
    'users.d': ['varbit', [4]],
    'users.e': ['numeric', [10, 2]],
    'users.f': ['numeric', [10, 2]],
  })
  const widening = sql(
    'ALTER TABLE users ALTER COLUMN a TYPE varchar(20);',
    'ALTER TABLE users ALTER COLUMN b TYPE text;',
    'ALTER TABLE users ALTER COLUMN c TYPE varchar;',
    'ALTER TABLE users ALTER COLUMN d TYPE varbit(8);',
    'ALTER TABLE users ALTER COLUMN e TYPE numeric(12, 2);',
    'ALTER TABLE users ALTER COLUMN f TYPE numeric;',
  )
  assert.equal(await lines(widening, types), [])
  const rewriting = sql(
    'ALTER TABLE users ALTER COLUMN a TYPE varchar(5);',
    'ALTER TABLE users ALTER COLUMN b TYPE text USING b::text;',
    'ALTER TABLE users ALTER COLUMN c TYPE varchar(50);',
    'ALTER TABLE users ALTER COLUMN e TYPE numeric(12, 3);',
    'ALTER TABLE users ALTER COLUMN unknown TYPE varchar(500);',
  )
  assert.equal(await lines(rewriting, types), [1, 2, 3, 4, 5])
})

test('the old type may come from the same file: a column added and then widened', async () => {
  const file = sql('ALTER TABLE users ADD COLUMN IF NOT EXISTS nick varchar(10);', 'ALTER TABLE users ALTER COLUMN nick TYPE varchar(40);')
  assert.equal(await hits(rule, file), [])
})

test.run()
