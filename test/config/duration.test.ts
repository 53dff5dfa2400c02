import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StrataError } from '../../src/index.js'
import { parseDuration, pgDuration } from '../../src/config/duration.js'

test('<number>[ms|s|min|h|d] in milliseconds; a bare number is seconds; 0 is off', () => {
  const cases: [string | number, number][] = [
    ['500ms', 500],
    ['10s', 10_000],
    ['2min', 120_000],
    ['1.5min', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['30', 30_000],
    [30, 30_000],
    ['0.5', 500],
    ['0', 0],
    ['0ms', 0],
    [' 10 s ', 10_000],
  ]
  for (const [input, ms] of cases) assert.is(parseDuration(input, '--wait'), ms, JSON.stringify(input))
})

test('what Postgres is sent is always milliseconds', () => {
  assert.is(pgDuration('--lock-timeout', '10s'), '10000ms')
  assert.is(pgDuration('--lock-timeout', '3'), '3000ms', 'a bare number is seconds here too, not Postgres milliseconds')
  assert.is(pgDuration('--statement-timeout', '0'), '0ms')
})

test('anything else is a usage error naming the flag and the grammar', () => {
  for (const bad of ['', 'soon', '-1s', '10 seconds', '1e3', '10sec', '5m', '1,5s']) {
    try {
      parseDuration(bad, '--lock-timeout')
      assert.unreachable(bad)
    } catch (e) {
      assert.instance(e, StrataError, bad)
      assert.is((e as StrataError).code, 'usage', bad)
      assert.match((e as StrataError).message, /^--lock-timeout ".*" is not a duration/, bad)
      assert.match(String((e as StrataError).facts.hint), /ms, s, min, h or d/)
    }
  }
  assert.match(errorOf('5m'), /minutes are written min/)
  assert.match(errorOf('25d'), /too long: at most 24 days/)
  assert.match(errorOf('0.1ms'), /shorter than a millisecond/)
})

function errorOf(value: string): string {
  try {
    parseDuration(value, '--wait')
  } catch (e) {
    return (e as Error).message
  }
  throw new Error(`${value} was accepted`)
}

test.run()
