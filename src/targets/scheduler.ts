/**
 * Running one job per target: at most `limit` at once, the first `canary` alone, no new start after
 * `maxFailures` failures or after an error that is not about one target (lint, usage, configuration: every
 * other target would meet it too). Results come out as they finish; targets never started come last.
 */
import { StrataError } from '../errors.js'
import type { TargetSpec } from './list.js'

export type TargetStatus = 'ok' | 'failed' | 'not-started'

export interface TargetResult<R> {
  /** The target as output names it (never with a password). */
  target: string
  kind: TargetSpec['kind']
  /** Its place in the list (after --shard), from 0. */
  index: number
  status: TargetStatus
  /** Wall time of the target's run. */
  ms: number
  result?: R
  error?: StrataError
  /** not-started: why. */
  reason?: string
}

export interface Schedule {
  /** Targets running at once. */
  limit: number
  canary: number
  maxFailures?: number
}

export interface Counts {
  total: number
  done: number
  failed: number
  running: number
  left: number
}

/** Errors about the files or the options, not the target: every other target would meet them too. */
export function stopsTheRollout(e: StrataError): string | undefined {
  if (e.code === 'lint') return 'lint found errors in pending files'
  if (e.exitCode === 2) return `an error that every target would meet: ${e.message}`
  return undefined
}

export async function* schedule<R>(
  targets: TargetSpec[],
  run: (target: TargetSpec) => Promise<R>,
  plan: Schedule,
  counts: Counts,
): AsyncGenerator<TargetResult<R>> {
  const finished: TargetResult<R>[] = []
  let wake: (() => void) | undefined
  let next = 0
  let stopped: string | undefined
  let canaryFailed = false
  const canary = Math.min(plan.canary, targets.length)
  Object.assign(counts, { total: targets.length, left: targets.length })

  const start = (index: number) => {
    const target = targets[index]
    const t0 = performance.now()
    counts.running++
    counts.left--
    const base = { target: target.name, kind: target.kind, index }
    run(target).then(
      (result) => done({ ...base, status: 'ok', ms: performance.now() - t0, result }),
      (e) => done({ ...base, status: 'failed', ms: performance.now() - t0, error: asStrataError(e) }),
    )
  }
  const done = (r: TargetResult<R>) => {
    counts.running--
    counts.done++
    if (r.error) {
      counts.failed++
      if (r.index < canary) canaryFailed = true
      stopped ??= stopsTheRollout(r.error)
      if (plan.maxFailures !== undefined && counts.failed >= plan.maxFailures) stopped ??= `--max-failures ${plan.maxFailures} reached`
    }
    finished.push(r)
    wake?.()
  }

  for (;;) {
    while (!stopped && next < targets.length && counts.running < plan.limit) {
      if (next === canary && canary > 0) {
        if (counts.running > 0) break // the canaries finish first
        if (canaryFailed) {
          stopped = `a canary failed (--canary ${plan.canary})`
          break
        }
      }
      start(next++)
    }
    if (finished.length) {
      yield* finished.splice(0)
      continue
    }
    if (counts.running === 0) break
    await new Promise<void>((resolve) => (wake = resolve))
    wake = undefined
  }
  for (let index = next; index < targets.length; index++) {
    counts.left--
    yield { target: targets[index].name, kind: targets[index].kind, index, status: 'not-started', ms: 0, reason: stopped }
  }
}

function asStrataError(e: unknown): StrataError {
  return e instanceof StrataError ? e : new StrataError('migration', (e as Error)?.message ?? String(e))
}
