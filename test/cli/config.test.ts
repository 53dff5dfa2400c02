// One configuration path: every command reads .env (or --env-file) and STRATA_* the same way, and every
// duration flag speaks one grammar.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDatabase, useFreshDatabase } from '../support/db.js'
import { project, repoRoot, strata } from '../support/project.js'

const db = useFreshDatabase(test)

const count = async (schema: string) => (await db.sql.unsafe(`select count(*)::int as n from ${schema}.migrations`))[0].n as number
const exists = async (table: string) => (await db.sql`select to_regclass(${table}) is not null as ok`)[0].ok as boolean

test('STRATA_DIR and STRATA_SCHEMA from .env reach every command, those without a database included', async () => {
  const cwd = project({
    '.env': `# set once for the project\nexport DATABASE_URL="${db.url}"\nSTRATA_DIR=db/history\nSTRATA_SCHEMA=env_ledger # not "strata"\n`,
    'db/history/001_a.sql': 'create table if not exists env_a (id int);\n',
    'db/history/002_b.sql': 'create table if not exists env_b (id int);\n',
    'db/history/002_b.down.sql': 'drop table if exists env_b;\n',
    // Where commands look without STRATA_DIR: lint would fail on it, migrate would apply it.
    'migrations/001_decoy.sql': 'DROP TABLE decoy;\n',
  })
  const run = async (...args: string[]) => {
    const r = await strata(args, { cwd })
    assert.is(r.code, 0, `strata ${args.join(' ')}:\n${r.stdout}${r.stderr}`)
    return r
  }
  assert.match((await run('lint')).stdout, /No problems found in 3 files/)
  assert.match((await run('reverse', '--stdout')).stdout, /strata:reverses 001_a\.sql/)
  await run('migrate')
  assert.is(await count('env_ledger'), 2)
  assert.match((await run('status')).stdout, /2 applied/)
  await run('verify')
  await run('down', '--yes')
  assert.not.ok(await exists('env_b'))
  await run('repair', '--rolled-back', '1', '--yes')
  assert.is(await count('env_ledger'), 0)
  const scratch = await freshDatabase()
  try {
    assert.match((await run('check-reverse', '--scratch-url', scratch.url)).stdout, /exact\s+db\/history\/002_b\.down\.sql/)
  } finally {
    await scratch.drop()
  }
  assert.match((await run('new', 'c')).stdout, /created db\/history\/003_c\.sql/)
  assert.ok(existsSync(join(cwd, 'db/history/003_c.sql')))
  assert.is((await db.sql`select count(*)::int as n from pg_namespace where nspname = 'strata'`)[0].n, 0, 'no ledger in the default schema')
})

test('the shell wins over .env, flags win over both, and --env-file replaces .env', async () => {
  const cwd = project({
    '.env': `DATABASE_URL=${db.url}\nSTRATA_SCHEMA=from_file\n`,
    'prod.env': `DATABASE_URL=${db.url}\nSTRATA_SCHEMA=from_other_file\n`,
    'migrations/001_a.sql': 'select 1;\n',
  })
  assert.is((await strata(['migrate'], { cwd, env: { STRATA_SCHEMA: 'from_shell' } })).code, 0)
  assert.is((await strata(['migrate', '--schema', 'from_flag'], { cwd, env: { STRATA_SCHEMA: 'from_shell' } })).code, 0)
  assert.is((await strata(['migrate', '--env-file', 'prod.env'], { cwd })).code, 0)
  for (const schema of ['from_shell', 'from_flag', 'from_other_file']) assert.is(await count(schema), 1, schema)
  assert.is((await db.sql`select to_regnamespace('from_file') as s`)[0].s, null)
  const bad = await strata(['status'], { cwd, env: { STRATA_SCHEMA: 'not-an-identifier' } })
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /STRATA_SCHEMA "not-an-identifier" is not a plain identifier/)
})

test('STRATA_EXPECT_HOST from .env guards every command that connects', async () => {
  const cwd = project({ '.env': `DATABASE_URL=${db.url}\nSTRATA_EXPECT_HOST=db.production.*\n`, 'migrations/001_a.sql': 'select 1;' })
  for (const command of ['migrate', 'status', 'verify']) {
    const r = await strata([command], { cwd })
    assert.is(r.code, 2, `${command}: ${r.stderr}`)
    assert.match(r.stderr, /--expect-host is db\.production\.\*/, command)
  }
})

test('one duration grammar: a bare number is seconds, units ms s min h d, anything else a usage error', async () => {
  const cwd = project({
    'migrations/001_seen.sql':
      'create table if not exists dur_seen (lock_timeout text, statement_timeout text);\n' +
      "insert into dur_seen values (current_setting('lock_timeout'), current_setting('statement_timeout'));\n",
  })
  const run = (...args: string[]) => strata([...args, '--url', db.url, '--schema', 'dur'], { cwd })
  for (const [flag, value] of [
    ['--lock-timeout', '2m'],
    ['--statement-timeout', 'soon'],
    ['--wait', '1.2.3'],
  ]) {
    for (const command of ['migrate', 'down']) {
      const r = await run(command, flag!, value!, '--yes')
      assert.is(r.code, 2, `${command} ${flag} ${value}: ${r.stderr}`)
      assert.match(r.stderr, new RegExp(`${flag} "${value}" is not a duration`))
      assert.match(r.stderr, /a bare number is seconds/)
    }
  }
  assert.not.ok(await exists('dur_seen'), 'nothing ran')
  const ok = await run('migrate', '--lock-timeout', '3', '--statement-timeout', '1.5min', '--wait', '2.5')
  assert.is(ok.code, 0, ok.stderr)
  const seen = await db.sql`select lock_timeout, statement_timeout from dur_seen`
  assert.equal(
    seen.map((r) => `${r.lock_timeout} ${r.statement_timeout}`),
    ['3s 90s'],
    'SET LOCAL inside the file: 3 seconds, 90 seconds',
  )
})

test('a bare strata prints usage and exits 2; --version prints the version; help prints the commands', async () => {
  const cwd = project({})
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version
  const bare = await strata([], { cwd })
  assert.is(bare.code, 2)
  assert.match(bare.stderr, /Usage\s+\$ strata <command> \[options\]/)
  assert.match(bare.stderr, /Available Commands[\s\S]*migrate/)
  for (const flag of ['--version', '-v']) {
    const r = await strata([flag], { cwd })
    assert.is(r.code, 0)
    assert.is(r.stdout, `${version}\n`)
  }
  for (const args of [['help'], ['--help']]) {
    const r = await strata(args, { cwd })
    assert.is(r.code, 0, args.join(' '))
    assert.match(r.stdout, /Available Commands[\s\S]*check-reverse/, args.join(' '))
  }
  const one = await strata(['help', 'migrate'], { cwd })
  assert.is(one.code, 0)
  assert.match(one.stdout, /--single-transaction/)
})

test.run()
