import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

const withPassword = (url: string, password: string) => {
  const u = new URL(url)
  u.password = password
  return u.toString()
}

test('eight migrate processes started at once on a fresh database apply each of 30 files exactly once', async () => {
  const files: Record<string, string> = {}
  for (let i = 1; i <= 30; i++) {
    const v = String(i).padStart(3, '0')
    files[`migrations/${v}_step.sql`] =
      i === 1
        ? 'create table if not exists race_log (version int not null);\ninsert into race_log values (1);'
        : `insert into race_log values (${i});\nselect pg_sleep(0.005);`
  }
  const cwd = project(files)
  const runs = await Promise.all(Array.from({ length: 8 }, () => strata(['migrate', '--url', db.url, '--schema', 'race'], { cwd })))
  for (const r of runs) assert.is(r.code, 0, r.stderr)
  const counts = await db.sql`select version, count(*)::int as n from race_log group by version order by version`
  assert.is(counts.length, 30)
  assert.ok(
    counts.every((c) => c.n === 1),
    'every file ran exactly once',
  )
  const [{ n }] = await db.sql`select count(*)::int as n from race.migrations where status = 'applied'`
  assert.is(n, 30)
  const [{ events }] = await db.sql`select count(*)::int as events from race.events where action = 'apply'`
  assert.is(events, 30)
  const applied = runs.map((r) => (r.stdout.match(/^applied /gm) ?? []).length).reduce((a, b) => a + b, 0)
  assert.is(applied, 30, 'the processes together report 30 applied files')
})

test('the URL password never appears in output: connection refused, bad password, failed migration, --json', async () => {
  const secret = 'S3cr3t-pa55word'
  const cwd = project({ 'migrations/001_bad.sql': 'create table if not exists pw_t (id int);\nselect * from missing_table;' })
  const refused = await strata(['migrate', '--url', `postgres://app:${secret}@127.0.0.1:1/db`], { cwd })
  const badLogin = await strata(['status', '--url', withPassword(db.url, secret)], { cwd })
  const failed = await strata(['migrate', '--url', withPassword(db.url, new URL(db.url).password)], { cwd })
  const viaEnv = await strata(['migrate', '--json'], { cwd, env: { DATABASE_URL: `postgres://app:${secret}@127.0.0.1:1/db` } })
  for (const r of [refused, badLogin, viaEnv]) {
    assert.is(r.code, 1)
    assert.not.match(r.stdout + r.stderr, secret)
    assert.match(r.stdout + r.stderr, /\*\*\*\*/)
  }
  assert.match(refused.stderr, /cannot connect to postgres:\/\/app:\*\*\*\*@127\.0\.0\.1:1\/db/)
  assert.match(badLogin.stderr, /password authentication failed/)
  assert.is(JSON.parse(viaEnv.stdout).ok, false)
  assert.is(failed.code, 1)
  assert.not.match(failed.stdout + failed.stderr, new URL(db.url).password)
  assert.match(failed.stderr, /migrations\/001_bad\.sql:2:15: relation "missing_table" does not exist/)
  assert.match(failed.stderr, /2 \| select \* from missing_table;\n\s+\^/)
})

test('no database URL is a configuration error (exit 2) that says how to set one', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;' })
  const r = await strata(['migrate'], { cwd })
  assert.is(r.code, 2)
  assert.match(r.stderr, /no database URL/)
  assert.match(r.stderr, /DATABASE_URL/)
})

test('DATABASE_URL is read from .env, and --env-file names another file', async () => {
  const cwd = project({
    'migrations/001_a.sql': 'create table if not exists envfile_t (id int);',
    '.env': `# local\nDATABASE_URL="${db.url}"\n`,
    'prod.env': 'DATABASE_URL=postgres://x:y@127.0.0.1:1/none\n',
  })
  assert.is((await strata(['migrate', '--schema', 'envfile'], { cwd })).code, 0)
  const other = await strata(['status', '--env-file', 'prod.env'], { cwd })
  assert.is(other.code, 1)
  assert.match(other.stderr, /127\.0\.0\.1:1/)
  // Node 20 itself reads --env-file even after the script name and exits 9 when the file is missing.
  const missing = await strata(['status', '--env-file', 'nope.env'], { cwd })
  assert.ok(missing.code === 2 || missing.code === 9, `exit ${missing.code}`)
  assert.match(missing.stderr, /nope\.env/)
})

test('unknown flags and commands are usage errors (exit 2)', async () => {
  const cwd = project({})
  const flag = await strata(['migrate', '--no-such-flag'], { cwd })
  assert.is(flag.code, 2)
  assert.match(flag.stderr, /unknown option --no-such-flag/)
  const cmd = await strata(['migrat'], { cwd })
  assert.is(cmd.code, 2)
  assert.match(cmd.stderr, /unknown command "migrat"/)
})

test('--embedded is refused when CI is set, unless --allow-embedded-in-ci', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;' })
  const r = await strata(['migrate', '--embedded'], { cwd, env: { CI: 'true' } })
  assert.is(r.code, 2)
  assert.match(r.stderr, /refusing --embedded because CI is set/)
})

test('status --json prints one JSON document with every file', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'select 1;', 'migrations/002_b.sql': 'select 2;' })
  await strata(['migrate', '--url', db.url, '--schema', 'json_status', '--to', '1'], { cwd })
  const r = await strata(['status', '--url', db.url, '--schema', 'json_status', '--json'], { cwd })
  assert.is(r.code, 0)
  const doc = JSON.parse(r.stdout)
  assert.equal(
    doc.entries.map((e: { state: string }) => e.state),
    ['applied', 'pending'],
  )
  assert.not.match(r.stdout, new URL(db.url).password)
})

test('migrate --json prints only the JSON document on stdout', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'create table if not exists json_t (id int);' })
  const r = await strata(['migrate', '--url', db.url, '--schema', 'json_migrate', '--json'], { cwd })
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.equal(
    doc.applied.map((a: { path: string }) => a.path),
    ['migrations/001_a.sql'],
  )
})

test('new writes the next version, zero-padded to the width in use', async () => {
  const empty = project({ 'migrations/.keep': '' })
  assert.match((await strata(['new', 'create users'], { cwd: empty })).stdout, /created migrations\/001_create_users\.sql/)
  const wide = project({ 'db/0009_a.sql': 'select 1;' })
  const r = await strata(['new', 'add_index', '--dir', 'db', '--with-down'], { cwd: wide })
  assert.is(r.code, 0)
  assert.equal(readdirSync(join(wide, 'db')).sort(), ['0009_a.sql', '0010_add_index.down.sql', '0010_add_index.sql'])
  assert.match(readFileSync(join(wide, 'db/0010_add_index.sql'), 'utf8'), /IF NOT EXISTS/)
  assert.is((await strata(['new', 'bad name!'], { cwd: empty })).code, 2)
})

test('new in a Prisma migrations folder writes <timestamp>_<name>/migration.sql, which status then reads', async () => {
  const cwd = project({
    'prisma/migrations/20240101120000_init/migration.sql': 'create table if not exists prisma_new (id int);',
    'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
  })
  const r = await strata(['new', 'add_index', '--dir', 'prisma/migrations'], { cwd })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /created prisma\/migrations\/20\d{12}_add_index\/migration\.sql/)
  const s = await strata(['status', '--dir', 'prisma/migrations', '--url', db.url, '--schema', 'prisma_new', '--json'], { cwd })
  assert.is(s.code, 0, s.stderr)
  assert.equal(
    JSON.parse(s.stdout).entries.map((e: { name: string; state: string }) => `${e.name}:${e.state}`),
    ['init:pending', 'add_index:pending'],
  )
})

test('every command that touches a database prints its target first, password masked', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'create table if not exists target_t (id int);' })
  const args = ['--url', db.url, '--schema', 'targets']
  for (const command of [['migrate'], ['status'], ['verify'], ['down', '--dry-run'], ['repair', '--accept-checksum', '1', '--yes']]) {
    const r = await strata([...command, ...args], { cwd })
    assert.match(
      r.stdout.split('\n')[0],
      /^target postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/strata_test_\w+ \(PostgreSQL \d+/,
      `${command[0]}: ${r.stdout}${r.stderr}`,
    )
    assert.not.match(r.stdout + r.stderr, new URL(db.url).password)
  }
})

test('--format github (or GITHUB_ACTIONS) turns a failed migration into an annotation at its file, line and column', async () => {
  const cwd = project({ 'migrations/001_bad.sql': 'create table if not exists gh_t (id int);\nselect * from gh_missing;' })
  const r = await strata(['migrate', '--url', db.url, '--schema', 'gh', '--format', 'github'], { cwd })
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /^::error file=migrations\/001_bad\.sql,line=2,col=15,title=strata migration::.*relation "gh_missing" does not exist/m,
  )
  const inActions = await strata(['migrate', '--url', db.url, '--schema', 'gh'], { cwd, env: { GITHUB_ACTIONS: 'true' } })
  assert.match(inActions.stdout, /^::error file=migrations\/001_bad\.sql,line=2,col=15/m)
  const plain = await strata(['migrate', '--url', db.url, '--schema', 'gh'], { cwd, env: { GITHUB_ACTIONS: undefined } })
  assert.not.match(plain.stdout, /::error/)
})

test('core/migrations is the default directory when it exists', async () => {
  const cwd = project({
    'core/migrations/001_auth.sql': 'create table if not exists core_auth (id int);',
    'migrations/001_other.sql': 'select 1;',
  })
  const r = await strata(['migrate', '--url', db.url, '--schema', 'core_dir'], { cwd })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /core\/migrations\/001_auth\.sql/)
})

test('--expect-host refuses a mismatch before connecting (exit 2), and lets a match through', async () => {
  const cwd = project({ 'migrations/001_a.sql': 'create table if not exists expect_t (id int);' })
  const wrong = await strata(['migrate', '--url', db.url, '--schema', 'expect', '--expect-host', 'db.production.*'], { cwd })
  assert.is(wrong.code, 2)
  assert.match(wrong.stderr, /refusing to run against 127\.0\.0\.1: --expect-host is db\.production\.\*/)
  assert.is((await db.sql`select to_regclass('expect_t') as t`)[0].t, null)
  const viaEnv = await strata(['migrate', '--url', db.url, '--schema', 'expect'], { cwd, env: { STRATA_EXPECT_HOST: 'staging' } })
  assert.is(viaEnv.code, 2)
  const right = await strata(['migrate', '--url', db.url, '--schema', 'expect', '--expect-host', '127.0.0.*'], { cwd })
  assert.is(right.code, 0, right.stderr)
  assert.match(right.stdout, /^target postgres:\/\/\w+:\*\*\*\*@127\.0\.0\.1:\d+\/strata_test_\w+ \(PostgreSQL \d+/m)
})

test.run()
