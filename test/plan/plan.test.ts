/** `strata plan` as a command: which files are pending, exit codes, formats, reverse status, git --base. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrate, plan, reverse } from '../../src/index.js'
import { freshDatabase, useFreshDatabase } from '../support/db.js'
import { failure } from '../support/failure.js'
import { project, strata } from '../support/project.js'

const db = useFreshDatabase(test)

let n = 0
function setup(files: Record<string, string>) {
  return { cwd: project(Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v]))), schema: `cli_${++n}` }
}

test('json: one document on stdout with the contract fields; the target line goes to stderr; exit 0 when migrate would pass', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists plan_a (id int);' })
  await migrate({ url: db.url, ...t })
  writeFileSync(join(t.cwd, 'migrations/002_b.sql'), 'alter table plan_a add column if not exists note text;\n')
  const r = await strata(['plan', '--url', db.url, '--schema', t.schema, '--format', 'json'], { cwd: t.cwd })
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.is(doc.ok, true)
  assert.equal(doc.pendingFrom, { kind: 'ledger' })
  assert.is(doc.files.length, 1)
  const [file] = doc.files
  assert.equal(Object.keys(file).slice(0, 8), ['path', 'version', 'name', 'mode', 'findings', 'reverse', 'reverseNote', 'atRisk'])
  assert.is(file.path, 'migrations/002_b.sql')
  assert.is(file.mode, 'transaction')
  assert.equal(file.statements, [
    {
      line: 1,
      column: 1,
      sql: 'alter table plan_a add column if not exists note text',
      ms: null,
      locks: null,
      rewrites: null,
      scans: null,
      flags: [],
    },
  ])
  assert.match(r.stderr, /^target postgres:\/\/.*:\*\*\*\*@/)
  assert.not.match(r.stdout, /target /)
})

test('--trace --format markdown on the embedded scratch server: a comment with the lock a statement takes', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists plan_md (id int);' })
  await migrate({ url: db.url, ...t })
  writeFileSync(join(t.cwd, 'migrations/002_b.sql'), 'alter table plan_md add column if not exists note text;\n')
  const r = await strata(['plan', '--url', db.url, '--schema', t.schema, '--trace', '--format', 'markdown'], { cwd: t.cwd })
  assert.is(r.code, 0, r.stderr)
  assert.ok(r.stdout.startsWith('<!-- strata-plan -->\n## Strata plan: 1 pending file\n'), r.stdout)
  assert.match(
    r.stdout,
    /\| 1 \| `alter table plan_md add column if not exists note text` \| ⛔ AccessExclusiveLock `public\.plan_md` \(0 rows, [^)]+\) \|/,
  )
  assert.match(r.stdout, /Traced on a scratch database built from 1 applied file/)
  assert.match(r.stderr, /scratch an embedded scratch Postgres/)
})

test('lint errors and edited history make the plan fail (exit 1), as they would stop migrate', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists plan_h (id int);' })
  await migrate({ url: db.url, ...t })
  writeFileSync(join(t.cwd, 'migrations/001_a.sql'), 'create table if not exists plan_h (id bigint);')
  writeFileSync(join(t.cwd, 'migrations/002_b.sql'), 'drop table plan_h;')
  const r = await strata(['plan', '--url', db.url, '--schema', t.schema], { cwd: t.cwd })
  assert.is(r.code, 1)
  assert.match(r.stdout, /migrate would refuse: migrations\/001_a\.sql was edited after it was applied/)
  assert.match(r.stdout, /error drop-table/)
  assert.match(r.stdout, /at risk line 1 \(drop-table\): plan_h \(every row\): 0 rows on the target/)
})

test('reverse status: a hand-written down file, an unfinished stub, none (with what strata reverse would write)', async () => {
  const t = setup({
    '001_a.sql': 'create table if not exists plan_r (id int);',
    '001_a.down.sql': 'drop table if exists plan_r;',
    '002_b.sql': '-- strata:ignore drop-table\ndrop table if exists plan_r;',
    '003_c.sql': 'create table if not exists plan_r3 (id int);',
  })
  await reverse({ cwd: t.cwd, versions: [2] })
  const result = await plan({ cwd: t.cwd })
  assert.equal(
    result.files.map((f) => [f.path, f.reverse]),
    [
      ['migrations/001_a.sql', 'complete'],
      ['migrations/002_b.sql', 'unfinished'],
      ['migrations/003_c.sql', 'missing'],
    ],
  )
  assert.is(result.files[2].reverseNote, 'no down file; strata reverse can write a complete one')
})

test('without a database every file is pending; --sample-rows then is a usage error (exit 2)', async () => {
  const t = setup({ '001_a.sql': 'create table if not exists plan_n (id int);', '002_b.sql': 'select 1;' })
  const result = await plan({ cwd: t.cwd })
  assert.equal(result.pendingFrom, { kind: 'none' })
  assert.is(result.files.length, 2)
  assert.is(result.target, null)
  const err = await failure(plan({ cwd: t.cwd, trace: true, sampleRows: 10 }))
  assert.is(err.exitCode, 2)
})

test('a file whose only statement cannot run in a transaction is planned, and traced, as migrate runs it: without one', async () => {
  const t = setup({
    '001_a.sql': 'create table if not exists plan_cic (id int);',
    '002_idx.sql': 'create index concurrently if not exists plan_cic_id on plan_cic (id);',
  })
  const scratch = await freshDatabase()
  try {
    const result = await plan({ cwd: t.cwd, trace: true, scratchUrl: scratch.url })
    assert.equal(
      result.files.map((f) => [f.path.split('/').pop(), f.mode, f.error ?? null]),
      [
        ['001_a.sql', 'transaction', null],
        ['002_idx.sql', 'no-transaction', null],
      ],
    )
  } finally {
    await scratch.drop()
  }
})

const hasGit = (() => {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

test('--base: the files a git revision lacks are pending, the others are the history the trace replays', async () => {
  if (!hasGit) return console.log('  (skipped: git is not installed)')
  const t = setup({ '001_a.sql': 'create table if not exists plan_g (id int);' })
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: t.cwd, stdio: 'pipe' })
  git('init', '-q')
  git('add', '.')
  git('commit', '-qm', 'base')
  git('branch', '-M', 'main')
  writeFileSync(join(t.cwd, 'migrations/002_b.sql'), 'create index if not exists plan_g_id on plan_g (id);')
  const scratch = await import('../support/db.js').then((m) => m.freshDatabase())
  try {
    const result = await plan({ cwd: t.cwd, base: 'main', trace: true, scratchUrl: scratch.url })
    assert.equal(result.pendingFrom, { kind: 'git', base: 'main' })
    assert.is(result.applied, 1)
    assert.equal(
      result.files.map((f) => f.path),
      ['migrations/002_b.sql'],
    )
    assert.equal(result.files[0].statements[0].locks, [{ relation: 'public.plan_g', mode: 'ShareLock' }])
  } finally {
    await scratch.drop()
  }
  const err = await failure(plan({ cwd: t.cwd, base: 'no-such-branch' }))
  assert.match(err.message, /--base no-such-branch: git cannot list the migrations there/)
})

test.run()
