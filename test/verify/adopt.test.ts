import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LEDGER, scenario, type Scenario } from './helpers.js'
import { CORPUS, corpusMissing, testUnless } from '../support/skip.js'

const CORPUS_PRISMA = join(CORPUS, 'hoppscotch__hoppscotch/packages/hoppscotch-backend/prisma/migrations')

/** The table Prisma Migrate keeps, as Prisma creates it. */
const PRISMA_TABLE = `CREATE TABLE "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** Stand in for `prisma migrate deploy`: run each folder's migration.sql and record it the way Prisma does. */
async function prismaDeploy(s: Scenario, dir: string, opts: { fail?: string } = {}) {
  await s.sql(PRISMA_TABLE)
  for (const name of readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'migration.sql')))
    .sort()) {
    const bytes = readFileSync(join(dir, name, 'migration.sql'))
    const failed = name === opts.fail
    if (!failed) await s.sql(bytes.toString('utf8'))
    await s.db.sql`insert into _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
                   values (gen_random_uuid()::text, ${sha256(bytes)}, ${failed ? null : new Date()}, ${name}, ${failed ? 0 : 1})`
  }
}

const ledger = async (s: Scenario) =>
  (await s.db.sql.unsafe(`select version::bigint::text as v from ${LEDGER}.migrations order by version`)).map((r) => r.v)

const corpusTest = testUnless(corpusMissing ?? (existsSync(CORPUS_PRISMA) ? undefined : `${CORPUS_PRISMA} is absent from the corpus`))

corpusTest('adopting a database built by Prisma from a real Prisma history: verify passes, migrate has nothing to do', async () => {
  const s = await scenario({})
  try {
    await prismaDeploy(s, CORPUS_PRISMA)
    const folders = readdirSync(CORPUS_PRISMA).filter((d) => existsSync(join(CORPUS_PRISMA, d, 'migration.sql')))
    const adopt = await s.json('adopt', 'prisma', '--dir', CORPUS_PRISMA)
    assert.is(adopt.code, 0, adopt.stderr)
    assert.is(adopt.doc.recorded.length, folders.length)
    assert.equal(adopt.doc.pending, [])
    assert.equal(
      await ledger(s),
      folders.map((f) => f.split('_')[0]),
    )
    const events = await s.db.sql.unsafe(`select count(*)::int as n from ${LEDGER}.events where action = 'adopt'`)
    assert.is(events[0].n, folders.length)

    const verify = await s.json('verify', '--dir', CORPUS_PRISMA)
    assert.is(verify.code, 0, JSON.stringify(verify.doc.objects?.slice(0, 5) ?? verify.doc))
    assert.ok(verify.doc.checked > 100, `${verify.doc.checked} objects checked`)
    const migrate = await s.cli('migrate', '--dir', CORPUS_PRISMA)
    assert.is(migrate.code, 0, migrate.stderr)
    assert.match(migrate.stdout, /nothing to apply/)

    const again = await s.json('adopt', 'prisma', '--dir', CORPUS_PRISMA)
    assert.is(again.code, 0)
    assert.equal([again.doc.recorded.length, again.doc.alreadyRecorded.length], [0, folders.length])
  } finally {
    await s.dispose()
  }
})

const PRISMA_FILES = {
  '20240101000000_init/migration.sql':
    '-- CreateTable\nCREATE TABLE "User" (\n    "id" TEXT NOT NULL,\n    "email" TEXT NOT NULL,\n\n    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n',
  '20240201000000_email_index/migration.sql': '-- CreateIndex\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n',
  'migration_lock.toml': 'provider = "postgresql"\n',
}

async function prismaProject(): Promise<Scenario> {
  const s = await scenario(PRISMA_FILES, 'prisma/migrations')
  await prismaDeploy(s, join(s.cwd, 'prisma/migrations'))
  return s
}

test('adopt prisma finds prisma/migrations by itself, and the folders keep working with migrate', async () => {
  const s = await prismaProject()
  try {
    const adopt = await s.json('adopt', 'prisma')
    assert.is(adopt.code, 0, adopt.stderr)
    assert.equal(
      adopt.doc.recorded.map((r: any) => [r.version, r.name, r.path]),
      [
        [20240101000000, 'init', 'prisma/migrations/20240101000000_init/migration.sql'],
        [20240201000000, 'email_index', 'prisma/migrations/20240201000000_email_index/migration.sql'],
      ],
    )
    mkdirSync(join(s.cwd, 'prisma/migrations/20240301000000_user_name'))
    writeFileSync(
      join(s.cwd, 'prisma/migrations/20240301000000_user_name/migration.sql'),
      'alter table "User" add column if not exists "name" text;\n',
    )
    const migrate = await s.cli('migrate', '--dir', 'prisma/migrations')
    assert.is(migrate.code, 0, migrate.stderr)
    assert.match(migrate.stdout, /applied\s+prisma\/migrations\/20240301000000_user_name\/migration\.sql/)
    const verify = await s.json('verify', '--dir', 'prisma/migrations')
    assert.is(verify.code, 0, JSON.stringify(verify.doc))
  } finally {
    await s.dispose()
  }
})

test('a file edited after Prisma applied it stops adoption, naming the file; nothing is recorded', async () => {
  const s = await prismaProject()
  try {
    appendFileSync(join(s.cwd, 'prisma/migrations/20240201000000_email_index/migration.sql'), '-- edited\n')
    const run = await s.cli('adopt', 'prisma')
    assert.is(run.code, 1)
    assert.match(run.stderr, /prisma\/migrations\/20240201000000_email_index\/migration\.sql was edited after Prisma applied it/)
    assert.match(run.stderr, /nothing was recorded/)
    const exists = await s.db.sql`select to_regclass(${`${LEDGER}.migrations`}) is not null as ok`
    assert.ok(!exists[0].ok || (await ledger(s)).length === 0)
  } finally {
    await s.dispose()
  }
})

test('like Prisma, a checkout with CRLF line endings still matches the checksum', async () => {
  const s = await prismaProject()
  try {
    const path = join(s.cwd, 'prisma/migrations/20240101000000_init/migration.sql')
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n/g, '\r\n'))
    const { code, doc } = await s.json('adopt', 'prisma')
    assert.is(code, 0)
    assert.is(doc.recorded.length, 2)
    assert.is((await s.cli('verify', '--dir', 'prisma/migrations')).code, 0, 'Strata ignores line endings in its own checksum too')
  } finally {
    await s.dispose()
  }
})

test('a failed Prisma migration is not adopted: it is reported and left pending', async () => {
  const s = await scenario(PRISMA_FILES, 'prisma/migrations')
  try {
    await prismaDeploy(s, join(s.cwd, 'prisma/migrations'), { fail: '20240201000000_email_index' })
    const { code, doc } = await s.json('adopt', 'prisma')
    assert.is(code, 0)
    assert.equal(
      doc.recorded.map((r: any) => r.name),
      ['init'],
    )
    assert.equal(doc.skipped, [
      { migration: '20240201000000_email_index', reason: 'failed or unfinished in Prisma (finished_at is empty)' },
    ])
    assert.equal(
      doc.pending.map((p: any) => p.name),
      ['email_index'],
    )
  } finally {
    await s.dispose()
  }
})

test('a database without _prisma_migrations has nothing to adopt: exit 2 with a hint', async () => {
  const s = await scenario(PRISMA_FILES, 'prisma/migrations')
  try {
    const run = await s.cli('adopt', 'prisma')
    assert.is(run.code, 2)
    assert.match(run.stderr, /no _prisma_migrations table/)
    assert.match(run.stderr, /strata baseline/)
    const unknown = await s.cli('adopt', 'flyway')
    assert.is(unknown.code, 2)
  } finally {
    await s.dispose()
  }
})

const SUPABASE_FILES = {
  '20240101120000_profiles.sql':
    'create table if not exists profiles (id uuid primary key, name text);\nalter table profiles enable row level security;\n',
  '20240102120000_profiles_policy.sql':
    'drop policy if exists "read own" on profiles;\ncreate policy "read own" on profiles for select using (true);\n',
}

test('adopt supabase reads supabase_migrations.schema_migrations and supabase/migrations', async () => {
  const s = await scenario(SUPABASE_FILES, 'supabase/migrations')
  try {
    await s.sql(
      'create schema supabase_migrations; create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text)',
    )
    for (const [file, sql] of Object.entries(SUPABASE_FILES)) {
      await s.sql(sql)
      const [, version, name] = /^(\d+)_(.+)\.sql$/.exec(file)!
      await s.db.sql`insert into supabase_migrations.schema_migrations (version, statements, name) values (${version}, ${[sql]}, ${name})`
    }
    const adopt = await s.json('adopt', 'supabase')
    assert.is(adopt.code, 0, adopt.stderr)
    assert.equal(
      adopt.doc.recorded.map((r: any) => r.path),
      ['supabase/migrations/20240101120000_profiles.sql', 'supabase/migrations/20240102120000_profiles_policy.sql'],
    )
    assert.is((await s.json('verify', '--dir', 'supabase/migrations')).code, 0)
    const migrate = await s.cli('migrate', '--dir', 'supabase/migrations')
    assert.match(migrate.stdout, /nothing to apply/)
    await s.sql('drop policy "read own" on profiles')
    const drift = await s.json('verify', '--dir', 'supabase/migrations')
    assert.equal(
      drift.doc.objects.map((o: any) => `${o.file}:${o.line} ${o.object}`),
      ['supabase/migrations/20240102120000_profiles_policy.sql:2 policy public.profiles.read own'],
    )
  } finally {
    await s.dispose()
  }
})

test.run()
