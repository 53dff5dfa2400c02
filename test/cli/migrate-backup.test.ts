import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

// Named columns: a column that is dropped and put back comes back last, which changes t::text but not the data.
const fingerprint = async () =>
  (
    await db.sql`select md5(string_agg(concat_ws('|', id, email, coalesce(note, '<null>'), data::text), ',' order by id)) as m, count(*)::int as n from mb_accounts`
  )[0]

test('migrate --backup copies what a destructive file deletes, and restore brings every row back', async () => {
  await db.sql`create table mb_accounts (id int primary key, email text, note text, data jsonb)`
  await db.sql`insert into mb_accounts select i, 'user' || i || '@example.com', case when i % 7 = 0 then null else 'é ✓ ' || i end, jsonb_build_object('i', i) from generate_series(1, 3000) i`
  const before = await fingerprint()
  const cwd = project({ 'migrations/001_purge.sql': 'delete from mb_accounts;\nalter table mb_accounts drop column if exists note;' })

  const refused = await strata(['migrate', '--url', db.url, '--schema', 'mb'], { cwd })
  assert.is(refused.code, 1, 'destructive statements need --allow-destructive')
  assert.is((await fingerprint()).n, 3000)

  const run = await strata(['migrate', '--url', db.url, '--schema', 'mb', '--allow-destructive', '--backup'], { cwd })
  assert.is(run.code, 0, run.stderr)
  const dir = /^backup\s+(\S+)/m.exec(run.stdout)?.[1]
  assert.ok(dir, `a backup line in:\n${run.stdout}`)
  assert.match(run.stdout, /mb_accounts: 3000 rows/)
  assert.is((await db.sql`select count(*)::int as n from mb_accounts`)[0].n, 0)
  assert.is(
    (await db.sql`select count(*)::int as n from information_schema.columns where table_name = 'mb_accounts' and column_name = 'note'`)[0]
      .n,
    0,
  )

  const restored = await strata(['restore', dir!, '--url', db.url], { cwd })
  assert.is(restored.code, 0, restored.stderr + restored.stdout)
  const after = await fingerprint()
  assert.is(after.n, 3000)
  assert.is(after.m, before.m, 'byte for byte the same rows')
})

test.run()
