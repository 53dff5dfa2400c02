// Generated stubs make up -> down -> up restore exactly the same schema, on a real database (check-reverse),
// for the example migrations, a hand-made history of hard cases, and real histories from ../shared/corpus.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkReverse, formatDifferences, reverse, type CheckReverseResult } from '../../src/index.js'
import { reverseHistory } from '../../src/reverse/index.js'
import { freshDatabase } from '../support/db.js'
import { project, repoRoot } from '../support/project.js'
import { CORPUS, corpusMissing, testUnless } from '../support/skip.js'

/** check-reverse on a database of its own (it refuses one that is not empty). */
async function roundTrip(cwd: string, options: { setup?: string[]; to?: number } = {}): Promise<CheckReverseResult> {
  const db = await freshDatabase()
  try {
    return await checkReverse({ cwd, url: db.url, ...options })
  } finally {
    await db.drop()
  }
}

function assertRestored(result: CheckReverseResult, count: number): void {
  const failure = result.failure
  assert.ok(result.ok, failure ? `${failure.message}\n${formatDifferences(failure.differences)}` : 'not ok')
  assert.is(result.files.length, count)
  assert.ok(result.files.every((f) => f.restored))
}

/** A project whose migrations/ holds these files as 0001_name.sql, 0002_name.sql, ... */
function history(files: { name: string; content: string }[]): string {
  const entries = files.map((f, i) => [
    `migrations/${String(i + 1).padStart(4, '0')}_${f.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(-60)}.sql`,
    f.content,
  ])
  return project(Object.fromEntries(entries))
}

test('example migrations: strata reverse writes the stubs, and they restore every schema on the way down', async () => {
  const cwd = project({})
  cpSync(join(repoRoot, 'migrations'), join(cwd, 'migrations'), { recursive: true })
  const written = await reverse({ cwd })
  assert.is(written.files.length, 7)
  assert.ok(written.files.every((f) => f.action === 'written' && f.complete))
  const result = await roundTrip(cwd)
  assertRestored(result, 7)
  assert.ok(result.files.every((f) => f.down === 'file'))
})

test('a history of hard cases: quoted mixed-case and reserved names, functions, triggers, policies, types, grants, seeds, defaults', async () => {
  const cwd = history([
    {
      name: 'base',
      content: `CREATE SCHEMA "Billing";
CREATE TYPE "Billing"."Plan Tier" AS ENUM ('free', 'pro');
CREATE DOMAIN "Billing".positive AS integer CHECK (VALUE > 0);
CREATE TABLE "Billing"."Order" (
  "id" bigserial PRIMARY KEY,
  "select" text NOT NULL DEFAULT 'x',
  "userId" text UNIQUE,
  tier "Billing"."Plan Tier" NOT NULL DEFAULT 'free',
  qty "Billing".positive
);
CREATE TABLE "user" (id int PRIMARY KEY, "Group" text, "limit" int DEFAULT 3);
CREATE FUNCTION "Billing"."Total"("order" "Billing"."Order", tax double precision DEFAULT 0.2, OUT amount numeric) LANGUAGE sql AS $$ select 1::numeric $$;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE ROLE strata_rt_reader;`,
    },
    {
      name: 'changes',
      content: `ALTER TABLE "user" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users see themselves" ON "user" FOR SELECT USING (id = 1);
CREATE TRIGGER "Touch" BEFORE UPDATE ON "Billing"."Order" FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE INDEX "Order_select_idx" ON "Billing"."Order" ("select");
GRANT USAGE ON SCHEMA "Billing" TO strata_rt_reader;
GRANT SELECT, UPDATE ("Group") ON "user" TO strata_rt_reader;
INSERT INTO "user" (id, "Group", "limit") VALUES (1, 'a', NULL), (2, 'b', 4) ON CONFLICT (id) DO NOTHING;
ALTER TABLE "user" ALTER COLUMN "limit" SET DEFAULT 5, ALTER COLUMN "Group" SET NOT NULL;
ALTER TABLE "Billing"."Order" ADD COLUMN "Note" text, ADD CONSTRAINT "Order_Note_check" CHECK ("Note" <> '');
ALTER TABLE "Billing"."Order" RENAME COLUMN "userId" TO "ownerId";
COMMENT ON TABLE "user" IS 'people';`,
    },
    {
      name: 'redefine',
      content: `CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW := NEW; RETURN NEW; END $$;
DROP POLICY IF EXISTS "Users see themselves" ON "user";
CREATE POLICY "Users see themselves" ON "user" FOR SELECT USING (id > 0);
DROP INDEX "Billing"."Order_select_idx";
ALTER TABLE "Billing"."Order" DROP CONSTRAINT "Order_Note_check";
ALTER TABLE "user" RENAME TO "User";
DO $$ BEGIN
  CREATE TYPE public.mood AS ENUM ('ok', 'meh');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;`,
    },
  ])
  const stubs = await reverseHistory(
    readdirSync(join(cwd, 'migrations'))
      .sort()
      .map((f) => ({ path: f, content: readFileSync(join(cwd, 'migrations', f), 'utf8') })),
  )
  assert.ok(
    stubs.every((s) => s.complete),
    JSON.stringify(stubs.flatMap((s) => s.irreversible)),
  )
  assertRestored(await roundTrip(cwd), 3)
})

test('an unfinished stub stops before it changes anything, and the failure names the up file and line', async () => {
  const cwd = history([
    { name: 'table', content: 'CREATE TABLE accounts (id int, tier text);' },
    { name: 'backfill', content: "CREATE TABLE audit (id int);\nUPDATE accounts SET tier = 'free' WHERE tier IS NULL;" },
  ])
  await reverse({ cwd }) // on disk, so the stub really runs and raises
  const result = await roundTrip(cwd)
  assert.not.ok(result.ok)
  assert.is(result.failure!.stage, 'down')
  assert.match(
    result.failure!.message,
    /strata: migrations\/0002_backfill\.sql:2: UPDATE cannot be reversed automatically; edit this down file/,
  )
  assert.equal(
    result.files.map((f) => f.status),
    ['exact', 'unfinished'],
  )
  assert.is(result.wrong, 0)
})

// Real histories, read in place from ../shared/corpus and never copied into this repository.
const corpus = CORPUS

interface CorpusHistory {
  repo: string
  path: string
  /** How the project's tool lays out and marks its files, turned into Strata's form in a temporary folder. */
  layout: 'flat' | 'prisma' | 'goose'
  /**
   * prefix: the files up to the first one whose stub needs a hand-written reverse;
   * tail: the whole history applied, the files after the last such one rolled back;
   * longest-run: the history applied up to the end of its longest run of complete stubs, that run rolled back.
   */
  window: 'all' | 'prefix' | 'tail' | 'longest-run'
  /** Only the first files apply on plain Postgres (the rest need code that is not SQL). */
  limit?: number
  /** At least this many files must be checked, so a regression in reverse coverage shows here. */
  atLeast: number
  setup?: string
}

const HISTORIES: CorpusHistory[] = [
  { repo: 'usebasejump__basejump', path: 'supabase/migrations', layout: 'flat', window: 'all', atLeast: 4, setup: 'supabase_stub.sql' },
  {
    repo: 'hoppscotch__hoppscotch',
    path: 'packages/hoppscotch-backend/prisma/migrations',
    layout: 'prisma',
    window: 'prefix',
    atLeast: 10,
  },
  { repo: 'atuinsh__atuin', path: 'crates/atuin-server-postgres/migrations', layout: 'flat', window: 'prefix', atLeast: 5 },
  { repo: 'openfga__openfga', path: 'assets/migrations/postgres', layout: 'goose', window: 'all', atLeast: 6 },
  {
    repo: 'triggerdotdev__trigger.dev',
    path: 'internal-packages/database/prisma/migrations',
    layout: 'prisma',
    window: 'prefix',
    atLeast: 5,
  },
  {
    repo: 'triggerdotdev__trigger.dev',
    path: 'internal-packages/database/prisma/migrations',
    layout: 'prisma',
    window: 'tail',
    atLeast: 15,
  },
  {
    repo: 'triggerdotdev__trigger.dev',
    path: 'internal-packages/database/prisma/migrations',
    layout: 'prisma',
    window: 'longest-run',
    atLeast: 25,
  },
  // A Go migration (v1_0_99) that was not copied creates what file 182 needs.
  {
    repo: 'hatchet-dev__hatchet',
    path: 'cmd/hatchet-migrate/migrate/migrations',
    layout: 'goose',
    window: 'longest-run',
    atLeast: 10,
    limit: 181,
  },
]

/** [first, last] index of the longest run of files whose stubs are complete. */
function longestRun(complete: boolean[]): [number, number] {
  let best: [number, number] = [0, -1]
  let start = 0
  complete.forEach((ok, i) => {
    if (!ok) start = i + 1
    else if (i - start > best[1] - best[0]) best = [start, i]
  })
  return best
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return sqlFiles(path)
    return entry.endsWith('.sql') && !entry.endsWith('.down.sql') ? [path] : []
  })
}

/** What each tool means by its own markers, in Strata's words. */
function convert(layout: CorpusHistory['layout'], text: string): string {
  if (layout === 'goose') {
    const up = text.split(/^--\s*\+goose\s+Down\b.*$/im)[0]!
    return up.replace(/^--\s*\+goose\s+NO TRANSACTION\s*$/im, '-- strata:no-transaction')
  }
  // Prisma projects write CREATE INDEX CONCURRENTLY alone in a file by hand, to run outside a transaction.
  if (layout === 'prisma' && /\bCONCURRENTLY\b/i.test(text)) return `-- strata:no-transaction\n${text}`
  return text
}

const it = testUnless(corpusMissing)
for (const h of HISTORIES) {
  it(`corpus ${h.repo} (${h.window}): generated stubs restore the schema at every step`, async () => {
    const root = join(corpus, h.repo, h.path)
    const files = sqlFiles(root)
      .sort()
      .slice(0, h.limit)
      .map((path) => ({
        name: path.slice(root.length + 1).replace(/\/migration\.sql$|\.sql$/g, ''),
        content: convert(h.layout, readFileSync(path, 'utf8')),
      }))
    const stubs = await reverseHistory(files.map((f) => ({ path: f.name, content: f.content })))
    const complete = stubs.map((s) => s.complete)
    const firstOpen = complete.indexOf(false)
    const [runStart, runEnd] = longestRun(complete)
    const chosen =
      h.window === 'prefix'
        ? files.slice(0, firstOpen < 0 ? files.length : firstOpen)
        : h.window === 'longest-run'
          ? files.slice(0, runEnd + 1)
          : files
    // Versions are 1-based positions: --to keeps that many files applied.
    const to = h.window === 'tail' ? complete.lastIndexOf(false) + 1 : h.window === 'longest-run' ? runStart : 0
    const checked = chosen.length - to
    assert.ok(checked >= h.atLeast, `only ${checked} file(s) of ${h.repo} can be checked, expected at least ${h.atLeast}`)
    const setup = h.setup ? [join(corpus, h.setup)] : []
    const result = await roundTrip(history(chosen), { setup, to })
    assertRestored(result, checked)
    console.log(`  ${h.repo}: ${checked} of ${files.length} files round-trip (${h.window})`)
  })
}

test.run()
