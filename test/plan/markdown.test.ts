/**
 * The pull-request comment is a contract with CI (it is found by its marker and updated in place) and with the
 * people reading it: a snapshot of a fixed plan. Set UPDATE_SNAPSHOTS=1 to write the snapshot again after a
 * deliberate change, and review the difference.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderMarkdown, renderPretty, type PlanResult } from '../../src/index.js'
import { repoRoot } from '../support/project.js'

const snapshot = join(repoRoot, 'test/plan/plan.snapshot.md')

const finding = (line: number, rule: string, severity: 'error' | 'warning', message: string, help: string) => ({
  file: 'migrations/004_orders.sql',
  line,
  column: 1,
  endLine: line,
  endColumn: 40,
  severity,
  rule,
  category: severity === 'error' ? ('destructive' as const) : ('locking' as const),
  message,
  help,
})

export const fixture: PlanResult = {
  ok: false,
  target: 'postgres://app:****@db.example.com/app',
  pendingFrom: { kind: 'ledger' },
  applied: 3,
  blockers: [],
  traced: true,
  scratch: { shown: 'an embedded scratch Postgres', sampleRows: 1000 },
  sizes: { 'public.orders': { rows: 1234567, estimated: true, bytes: 912_000_000 } },
  files: [
    {
      path: 'migrations/004_orders.sql',
      version: 4,
      name: 'orders',
      mode: 'transaction',
      findings: [
        finding(
          2,
          'alter-column-type',
          'error',
          'Changing the type of orders.total rewrites the table.',
          'Add a new column with the new type, backfill it, switch over.',
        ),
        finding(3, 'create-index-not-concurrently', 'warning', 'CREATE INDEX on orders blocks writes.', 'Use CREATE INDEX CONCURRENTLY.'),
      ],
      reverse: 'unfinished',
      reverseNote: 'stub by strata reverse: some statements need a hand-written reverse',
      atRisk: [{ line: 2, rule: 'alter-column-type', what: 'orders.total', rows: 1234567, estimated: true }],
      statements: [
        {
          line: 1,
          column: 1,
          sql: "alter table orders add column if not exists note text default 'none'",
          ms: 1.2,
          locks: [{ relation: 'public.orders', mode: 'AccessExclusiveLock' }],
          rewrites: [],
          scans: [],
          flags: [
            {
              level: 'danger',
              relation: 'public.orders',
              message: 'takes AccessExclusiveLock on public.orders: every query on it waits until the file commits',
              help: 'keep this file short',
              docs: 'lock-queue',
            },
          ],
        },
        {
          line: 2,
          column: 1,
          sql: 'alter table orders alter column total type bigint',
          ms: 420,
          locks: [],
          rewrites: ['public.orders', 'public.orders_pkey'],
          scans: [],
          flags: [
            {
              level: 'danger',
              relation: 'public.orders',
              message: 'rewrites public.orders and rebuilds its 1 index under AccessExclusiveLock',
              help: 'add a new column, backfill it in batches',
              docs: 'alter-column-type',
            },
          ],
        },
        {
          line: 3,
          column: 1,
          sql: "create index if not exists oc on orders (customer) where note <> 'a|b'",
          ms: 35,
          locks: [],
          rewrites: [],
          scans: [],
          flags: [],
        },
      ],
      holds: [{ relation: 'public.orders', mode: 'AccessExclusiveLock', line: 1, ms: 456.2 }],
      ms: 457,
    },
    {
      path: 'migrations/005_orders_total_idx.sql',
      version: 5,
      name: 'orders_total_idx',
      mode: 'no-transaction',
      findings: [],
      reverse: 'complete',
      reverseNote: 'hand-written down file; strata check-reverse proves it',
      atRisk: [],
      statements: [
        {
          line: 2,
          column: 1,
          sql: 'create index concurrently if not exists orders_total on orders (total)',
          ms: 1500,
          locks: [{ relation: 'public.orders', mode: 'ShareUpdateExclusiveLock' }],
          rewrites: [],
          scans: [],
          flags: [
            {
              level: 'info',
              relation: 'public.orders',
              message: 'builds on public.orders under ShareUpdateExclusiveLock: reads and writes go on meanwhile',
              help: 'This is the way that does not block: nothing to change.',
              docs: 'lock-modes',
            },
          ],
        },
      ],
      ms: 1500,
    },
  ],
}

test('the markdown comment of a fixed plan is exactly the snapshot', () => {
  const text = renderMarkdown(fixture)
  if (process.env.UPDATE_SNAPSHOTS || !existsSync(snapshot)) writeFileSync(snapshot, text)
  assert.fixture(text, readFileSync(snapshot, 'utf8'))
})

test('the comment starts with the marker CI finds it by, and the same plan renders the same text', () => {
  const text = renderMarkdown(fixture)
  assert.ok(text.startsWith('<!-- strata-plan -->\n'))
  assert.is(renderMarkdown(structuredClone(fixture)), text)
})

test('a pipe in a statement does not break the table', () => {
  const row = renderMarkdown(fixture)
    .split('\n')
    .find((l) => l.startsWith('| 3 |'))!
  assert.is(row.split(/(?<!\\)\|/).length - 2, 6, row)
})

test('pretty output names the file, the blocking lock with its size on the target, and the safer way', () => {
  const text = renderPretty(fixture)
  assert.match(text, /migrations\/004_orders\.sql {2}transaction · reverse: unfinished/)
  assert.match(text, /locks AccessExclusiveLock public\.orders \(~1,234,567 rows, 870 MB\)/)
  assert.match(text, /safer: keep this file short \(docs\/plan\.md#the-lock-queue\)/)
  assert.match(text, /held until COMMIT AccessExclusiveLock public\.orders .* from line 1, 456 ms on the scratch database/)
})

test('nothing pending says so', () => {
  const empty: PlanResult = { ...fixture, files: [], sizes: undefined }
  assert.match(renderMarkdown(empty), /## Strata plan: 0 pending files\n\nNothing pending\./)
})

test.run()
