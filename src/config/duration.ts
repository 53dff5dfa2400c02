/**
 * One grammar for every duration Strata takes (--lock-timeout, --statement-timeout, --wait, ...):
 * `<number>[ms|s|min|h|d]`, e.g. `500ms`, `10s`, `1.5min`, `2h`. A bare number is seconds. `0` turns a timeout off.
 */
import { StrataError } from '../errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|min|h|d)?$/
/** Postgres keeps timeouts in a 32-bit count of milliseconds, and Node's timers overflow past it too. */
export const MAX_DURATION_MS = 2_147_483_647

/** Milliseconds of a duration; `what` (e.g. `--wait`) names it in the usage error for anything else. */
export function parseDuration(value: string | number, what: string): number {
  const text = String(value).trim()
  const m = DURATION.exec(text)
  if (!m) {
    const minutes = /^\d+(\.\d+)?\s*m$/.test(text) ? ' (minutes are written min, as Postgres writes them)' : ''
    throw new StrataError('usage', `${what} ${JSON.stringify(String(value))} is not a duration${minutes}`, {
      hint: 'write a number with a unit: ms, s, min, h or d (e.g. 500ms, 10s, 2min); a bare number is seconds; 0 is off',
    })
  }
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!
  if (ms > MAX_DURATION_MS) throw new StrataError('usage', `${what} ${JSON.stringify(String(value))} is too long: at most 24 days`)
  if (ms > 0 && ms < 1) throw new StrataError('usage', `${what} ${JSON.stringify(String(value))} is shorter than a millisecond`)
  return Math.round(ms)
}

/** A duration as Postgres settings take it (`lock_timeout`, `statement_timeout`): `<ms>ms`, `0ms` for off. */
export function pgDuration(what: string, value: string | number): string {
  return `${parseDuration(value, what)}ms`
}
