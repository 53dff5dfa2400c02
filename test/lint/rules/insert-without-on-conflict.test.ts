import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'insert-without-on-conflict'

test('reports a plain INSERT, as a warning by default', async () => {
  const findings = await findingsFor("INSERT INTO settings (key, value) VALUES ('theme', 'dark');")
  assert.equal(
    findings.map((f) => [f.rule, f.severity, f.line, f.column]),
    [[rule, 'warning', 1, 1]],
  )
})

test('reports INSERT ... SELECT without a guard, and an insert into a table created IF NOT EXISTS', async () => {
  const file = sql(
    'CREATE TABLE IF NOT EXISTS flags (name text);',
    "INSERT INTO flags VALUES ('beta');",
    'INSERT INTO archive SELECT * FROM events;',
  )
  assert.equal(await hits(rule, file), ['2:1', '3:1'])
})

test('accepts ON CONFLICT, NOT EXISTS guards, and a table the file dropped and re-created', async () => {
  const file = sql(
    "INSERT INTO settings (key, value) VALUES ('theme', 'dark') ON CONFLICT DO NOTHING;",
    "INSERT INTO settings (key, value) VALUES ('theme', 'dark') ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
    "INSERT INTO settings (key) SELECT 'theme' WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'theme');",
    'DROP TABLE IF EXISTS flags;',
    'CREATE TABLE flags (name text);',
    "INSERT INTO flags VALUES ('beta');",
  )
  assert.equal(await hits(rule, file), [])
})

test.run()
