import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findingsFor, hits, sql } from '../support.js'

const rule = 'create-index-not-concurrently'

test('reports CREATE INDEX on an existing table, as a locking warning', async () => {
  const findings = (await findingsFor('CREATE INDEX IF NOT EXISTS users_email ON users (email);')).filter((f) => f.rule === rule)
  assert.equal(
    findings.map((f) => [f.line, f.column, f.severity, f.category]),
    [[1, 1, 'warning', 'locking']],
  )
})

test('reports unique and unnamed indexes too', async () => {
  const file = sql('CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (email);', 'CREATE INDEX ON events (created_at);')
  assert.equal(await hits(rule, file), ['1:1', '2:1'])
})

test('a table created earlier in the same file needs no CONCURRENTLY index', async () => {
  const file = sql(
    'CREATE TABLE IF NOT EXISTS users (id int, email text);',
    'CREATE INDEX IF NOT EXISTS users_email ON users (email);',
    'CREATE TABLE "public"."Job" ("id" text);',
    'CREATE INDEX "Job_id_idx" ON "public"."Job"("id");',
  )
  assert.equal(await hits(rule, file), [])
})

test('a table built under another name and renamed into place is new too', async () => {
  const file = sql('CREATE TABLE users_new (id int);', 'ALTER TABLE users_new RENAME TO users;', 'CREATE INDEX users_id ON users (id);')
  assert.equal(await hits(rule, file), [])
})

test('accepts CONCURRENTLY, and ON ONLY for a partitioned parent', async () => {
  const file = sql(
    '-- strata:no-transaction',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);',
    'CREATE INDEX IF NOT EXISTS events_at ON ONLY events (at);',
  )
  assert.equal(await hits(rule, file), [])
})

test('an index on a table created after it, or in another schema, is still reported', async () => {
  const file = sql(
    'CREATE INDEX IF NOT EXISTS users_id ON users (id);',
    'CREATE TABLE IF NOT EXISTS app.users (id int);',
    'CREATE INDEX IF NOT EXISTS u2 ON billing.users (id);',
  )
  assert.equal(await hits(rule, file), ['1:1', '3:1'])
})

test.run()
