/** The fan-out's scheduler and connection budget, with jobs that are promises we control: no database needed. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StrataError } from '../../src/index.js'
import { schedule, type Counts, type TargetResult } from '../../src/targets/scheduler.js'
import { Connections, RESET } from '../../src/targets/connections.js'
import type { Target } from '../../src/db/target.js'
import type { TargetSpec } from '../../src/targets/list.js'

const targets = (n: number): TargetSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `t${i}`, kind: 'database' as const, url: `postgres://h/t${i}`, schema: 'strata' }))
const counts = (): Counts => ({ total: 0, done: 0, failed: 0, running: 0, left: 0 })
const tick = () => new Promise((r) => setTimeout(r, 1))

/** Run `n` targets; `fails` names the ones whose job throws; returns results and the most jobs seen running at once. */
async function run(n: number, plan: { limit: number; canary?: number; maxFailures?: number }, fails: Record<string, StrataError> = {}) {
  let running = 0
  let most = 0
  const order: string[] = []
  const results: TargetResult<string>[] = []
  const job = async (t: TargetSpec) => {
    order.push(t.name)
    most = Math.max(most, ++running)
    await tick()
    running--
    if (fails[t.name]) throw fails[t.name]
    return `done ${t.name}`
  }
  for await (const r of schedule(targets(n), job, { canary: 0, ...plan }, counts())) results.push(r)
  return { results, most, order }
}

const migrationError = () => new StrataError('migration', 'boom')

test('never more jobs at once than the limit, and every target gets a result', async () => {
  const { results, most } = await run(20, { limit: 3 })
  assert.is(most, 3)
  assert.is(results.length, 20)
  assert.ok(results.every((r) => r.status === 'ok'))
})

test('failures do not stop the others by default', async () => {
  const { results } = await run(10, { limit: 2 }, { t3: migrationError(), t7: migrationError() })
  assert.equal(
    results
      .filter((r) => r.status === 'failed')
      .map((r) => r.target)
      .sort(),
    ['t3', 't7'],
  )
  assert.is(results.filter((r) => r.status === 'ok').length, 8)
})

test('--canary: the first K run alone first; a failed canary stops the rest, reported as not started', async () => {
  const good = await run(8, { limit: 4, canary: 2 })
  assert.equal(good.order.slice(0, 2), ['t0', 't1'])
  assert.ok(good.results.every((r) => r.status === 'ok'))
  const bad = await run(8, { limit: 4, canary: 2 }, { t1: migrationError() })
  assert.equal(bad.order, ['t0', 't1'])
  const notStarted = bad.results.filter((r) => r.status === 'not-started')
  assert.equal(
    notStarted.map((r) => r.target),
    ['t2', 't3', 't4', 't5', 't6', 't7'],
  )
  assert.match(notStarted[0].reason!, /canary/)
})

test('--max-failures: no new start after N failures; running ones finish', async () => {
  const { results, order } = await run(10, { limit: 1, maxFailures: 2 }, { t2: migrationError(), t4: migrationError() })
  assert.equal(order, ['t0', 't1', 't2', 't3', 't4'])
  assert.equal(
    results.filter((r) => r.status === 'not-started').map((r) => r.target),
    ['t5', 't6', 't7', 't8', 't9'],
  )
  assert.match(results.at(-1)!.reason!, /--max-failures 2/)
})

test('an error about the files or options (lint, usage, config) stops the rollout after the first one', async () => {
  const { results } = await run(6, { limit: 1 }, { t1: new StrataError('lint', 'lint found 1 error(s)') })
  assert.equal(
    results.map((r) => r.status),
    ['ok', 'failed', 'not-started', 'not-started', 'not-started', 'not-started'],
  )
  assert.match(results[2].reason!, /lint/)
})

test('connections: acquire waits while all are taken; a second connection with --concurrency 1 is refused, not awaited forever', async () => {
  const slots = new Connections(2)
  const a = await slots.acquire()
  await slots.acquire()
  let third = false
  const waiting = slots.acquire().then((release) => ((third = true), release))
  await tick()
  assert.not.ok(third, 'the third waits')
  a()
  a() // giving back twice frees one slot, not two
  ;(await waiting)()
  assert.ok(third)
  assert.is(slots.inUse, 1)

  const one = new Connections(1)
  await one.acquire()
  try {
    await one.acquire()
    assert.unreachable('a second slot of one')
  } catch (e) {
    assert.match((e as Error).message, /--concurrency 1/)
  }
})

/** A stand-in for an open connection: counts what was sent and whether it was closed (and gives its slot back then). */
function fakeTarget(release: () => void, fail = false) {
  const sent: string[] = []
  const target = {
    sent,
    closed: false,
    sql: { unsafe: async (q: string) => (sent.push(q), fail ? Promise.reject(new Error('lost')) : []) },
    close: async () => {
      target.closed = true
      release()
    },
  }
  return target as unknown as Target & { sent: string[]; closed: boolean }
}

test('connections are kept for the next target on the same database, reset first; a kept one gives its slot to a waiter', async () => {
  const pool = new Connections(2)
  const first = fakeTarget(await pool.acquire())
  await pool.keep('db', first)
  assert.equal(first.sent, [RESET])
  assert.is(pool.reuse('other'), undefined)
  assert.is(pool.reuse('db'), first)
  assert.is(pool.reuse('db'), undefined, 'taken')
  await pool.keep('db', first)

  const broken = fakeTarget(await pool.acquire(), true)
  await pool.keep('db', broken)
  assert.ok(broken.closed, 'a connection that cannot be reset is closed, not kept')

  const second = fakeTarget(await pool.acquire())
  assert.is(pool.inUse, 2)
  const third = await pool.acquire() // both slots taken, one by a kept connection: that one is closed for it
  assert.ok(first.closed)
  assert.is(pool.inUse, 2)
  third()
  await pool.keep('db', second)
  await pool.close()
  assert.ok(second.closed)
  assert.is(pool.inUse, 0)
})

test.run()
