/**
 * `-- strata:no-transaction` files under faults and concurrency: a second runner waits for the live one and
 * skips the file; a run killed part-way is reported as it is (what ran, the row's real status); an index that
 * a failed CREATE INDEX CONCURRENTLY left INVALID is reported by verify and built again by the rerun.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { migrate, repair, verify } from '../../src/index.js'
import { useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { bin, project } from '../support/project.js'

const db = useFreshDatabase(test)

let n = 0
function setup(files: Record<string, string>) {
  const schema = `notx_${++n}`
  const cwd = project(Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v])))
  return { cwd, schema, dir: join(cwd, 'migrations') }
}
const rows = async (schema: string) =>
  (await db.sql.unsafe(`select version::int, status from ${schema}.migrations order by version`)).map((r) => ({ ...r }))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`timed out waiting until ${what}`)
}

test('a second runner reaching a no-transaction file that a live runner is applying waits for it, then skips it', async () => {
  const t = setup({
    '001_t.sql': 'create table if not exists notx_c (id int);',
    '002_slow.sql': '-- strata:no-transaction\nselect pg_sleep(1.5);\ncreate index concurrently if not exists notx_c_id on notx_c (id);',
  })
  const first = migrate({ url: db.url, cwd: t.cwd, schema: t.schema })
  await until(
    async () =>
      (await db.sql.unsafe(`select to_regclass('${t.schema}.migrations') is not null as ok`))[0].ok &&
      (await rows(t.schema)).some((r) => r.status === 'running'),
    'the first runner claimed 002',
  )
  const waits: string[] = []
  const second = await migrate({
    url: db.url,
    cwd: t.cwd,
    schema: t.schema,
    onProgress: (e) => e.type === 'waiting' && waits.push(e.message),
  })
  const done = await first
  assert.equal(
    done.applied.map((a) => a.version),
    [1, 2],
  )
  assert.equal(second.applied, [])
  assert.ok(
    waits.some((w) => /002_slow|version 2/.test(w)),
    waits.join('\n'),
  )
  assert.equal(await rows(t.schema), [
    { version: 1, status: 'applied' },
    { version: 2, status: 'applied' },
  ])
  const applies = await db.sql.unsafe(`select count(*)::int as n from ${t.schema}.events where action = 'apply' and version = 2`)
  assert.is(applies[0].n, 1, 'applied once')
})

test('a run killed part-way through a no-transaction file is reported as it is: what ran, what was running, the row left running', async () => {
  const t = setup({
    '001_part.sql':
      '-- strata:no-transaction\ncreate table if not exists notx_k (id int);\nselect pg_sleep(30);\ncreate index concurrently if not exists notx_k_id on notx_k (id);',
  })
  const child = spawn(process.execPath, [bin, 'migrate', '--url', db.url, '--schema', t.schema], { cwd: t.cwd, stdio: 'ignore' })
  await until(async () => {
    const [row] = await db.sql.unsafe(`select progress->>'done' as done from ${t.schema}.migrations where version = 1`).catch(() => [])
    return row?.done === '1'
  }, 'the first statement took effect and the second is running')
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  // The server ends the killed client's sessions when it notices; the sleeping one may take a moment.
  await db.sql`select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`
  const err = await failure(migrate({ url: db.url, cwd: t.cwd, schema: t.schema, waitMs: 2000 }))
  assert.is(err.code, 'history')
  assert.match(err.message, /001_part\.sql was interrupted/)
  assert.match(err.message, /1 of 3 statements took effect/)
  assert.match(err.message, /statement 2 \(line 3: select pg_sleep\(30\)\) was running/)
  assert.match(err.message, /row stays 'running'/)
  assert.not.match(err.message, /rolled back: nothing of it/)
  assert.equal(await rows(t.schema), [{ version: 1, status: 'running' }])
})

test('an index a failed CREATE INDEX CONCURRENTLY left INVALID fails verify, and the rerun after repair builds it again', async () => {
  await db.sql`create table if not exists notx_dup (x int)`
  await db.sql`insert into notx_dup values (1), (1)`
  const t = setup({
    '001_unique.sql': '-- strata:no-transaction\ncreate unique index concurrently if not exists notx_dup_x on notx_dup (x);',
  })
  const err = await failure(migrate({ url: db.url, cwd: t.cwd, schema: t.schema }))
  assert.is(err.facts.sqlstate, '23505')
  assert.match(String(err.facts.outcome), /0 of 1 statements took effect/)
  const invalid = await db.sql`select not indisvalid as invalid from pg_index where indexrelid = to_regclass('notx_dup_x')`
  assert.ok(invalid[0].invalid, 'Postgres left the index behind, invalid')

  const checked = await verify({ url: db.url, cwd: t.cwd, schema: t.schema })
  assert.not.ok(checked.ok)
  const problem = checked.objects.find((o) => o.kind === 'invalid')
  assert.ok(problem, 'verify reports the invalid index')
  assert.match(problem!.message, /index public\.notx_dup_x on notx_dup is INVALID/)
  assert.match(problem!.message, /DROP INDEX CONCURRENTLY "public"\."notx_dup_x"/)

  await db.sql`delete from notx_dup where ctid = (select max(ctid) from notx_dup)`
  await repair({ url: db.url, cwd: t.cwd, schema: t.schema, rolledBack: 1, yes: true })

  const notes: string[] = []
  const again = await migrate({ url: db.url, cwd: t.cwd, schema: t.schema, onProgress: (e) => e.type === 'note' && notes.push(e.message) })
  assert.is(again.applied.length, 1)
  assert.match(notes.join('\n'), /dropping the invalid index public\.notx_dup_x/)
  const valid = await db.sql`select indisvalid as valid from pg_index where indexrelid = to_regclass('notx_dup_x')`
  assert.ok(valid[0].valid, 'the rerun built the index, instead of IF NOT EXISTS skipping the invalid one')
  assert.ok((await verify({ url: db.url, cwd: t.cwd, schema: t.schema })).ok)
})

test('a DO block that commits as it goes runs in a no-transaction file (it cannot run inside a transaction block)', async () => {
  const t = setup({
    '001_batches.sql':
      '-- strata:no-transaction\ncreate table if not exists notx_batches (i int);\n' +
      'do $$ begin for i in 1..3 loop insert into notx_batches values (i); commit; end loop; end $$;',
  })
  const result = await migrate({ url: db.url, cwd: t.cwd, schema: t.schema })
  assert.is(result.applied.length, 1)
  assert.equal((await db.sql`select count(*)::int as n from notx_batches`)[0].n, 3)
})

test.run()
