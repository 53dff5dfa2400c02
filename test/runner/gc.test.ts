import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { collectEvery } from '../../src/cli/gc.js'

const turn = () => new Promise((resolve) => setImmediate(resolve))

test('collectEvery runs a full collection on every nth call, without putting gc on the global object', async () => {
  const collect = collectEvery(3)
  let ref: WeakRef<object> | undefined
  ;(() => {
    ref = new WeakRef({ rows: new Array(1000).fill('garbage') })
  })()
  await turn() // a WeakRef keeps its target until the job that made it ends
  collect()
  collect()
  collect()
  await turn()
  assert.is(ref!.deref(), undefined)
  assert.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined')
})

test.run()
