import * as assert from 'uvu/assert'
import { StrataError } from '../../src/index.js'

/** The StrataError that `p` rejects with; the test fails when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<StrataError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, StrataError)
    return e as StrataError
  }
  throw new Error('expected a StrataError')
}
