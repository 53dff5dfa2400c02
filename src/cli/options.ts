/**
 * Turning parsed flags into library options, with usage errors (exit 2) for values that do not fit.
 * Every command takes its shared options from `common`; `.env` was loaded before any action ran (cli/index.ts),
 * and the library resolves what a flag leaves open from the environment, then defaults (src/config/).
 */
import { parseDuration, type CommonOptions } from '../config/index.js'
import type sade from 'sade'
import { makeOut, targetLine, type Out } from './output.js'
import { StrataError } from '../errors.js'
import { DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT } from '../runner/lock.js'

export type Flags = Record<string, unknown>

/** A command's action: prints through `out`, returns the exit code (default 0) or throws a StrataError. */
export type Action = (out: Out, ...args: unknown[]) => Promise<number | void>
/** Each src/cli/<command>.ts exports one of these: it declares the command and its flags on the program. */
export type Register = (prog: ReturnType<typeof sade>, wrap: (action: Action) => (...args: unknown[]) => Promise<void>) => void

export function common(flags: Flags): CommonOptions {
  // Every command that touches a database says where first (nothing in JSON mode: stdout is one document).
  const out = makeOut(!!flags.json)
  const onTarget: CommonOptions['onTarget'] = (target, server) => out.line(targetLine(target, server))
  return {
    url: str(flags, 'url'),
    dir: str(flags, 'dir'),
    layout: str(flags, 'layout'),
    schema: str(flags, 'schema'),
    embedded: !!flags.embedded,
    allowEmbeddedInCi: !!flags['allow-embedded-in-ci'],
    sslCa: str(flags, 'ssl-ca'),
    expectHost: str(flags, 'expect-host'),
    connectTimeoutMs: durationMs(flags, 'connect-timeout'),
    onTarget,
  }
}

export function str(flags: Flags, key: string): string | undefined {
  const v = flags[key]
  if (v === undefined || v === false) return undefined
  if (v === true || Array.isArray(v)) throw new StrataError('usage', `--${key} needs one value`)
  return String(v)
}

export function list(flags: Flags, key: string): string[] {
  const v = flags[key]
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).map(String)
}

export function version(flags: Flags, key: string): number | undefined {
  const v = str(flags, key)
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new StrataError('usage', `--${key} ${JSON.stringify(v)} is not a version number`)
  return Number(v)
}

/** A whole number of something (`--lock-retries 3`, `--sample-rows 1000`). */
export function count(flags: Flags, key: string): number | undefined {
  const v = str(flags, key)
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new StrataError('usage', `--${key} ${JSON.stringify(v)} is not a whole number`)
  return Number(v)
}

/** A duration flag in milliseconds, in the one grammar of src/config/duration.ts (a bare number is seconds). */
export function durationMs(flags: Flags, key: string): number | undefined {
  const v = str(flags, key)
  return v === undefined ? undefined : parseDuration(v, `--${key}`)
}

/** The flags of commands that run files on a database (migrate, down): timeouts, lock retries, the wait. */
export function withLockFlags<T extends { option(flag: string, description: string, value?: string): T }>(command: T): T {
  return command
    .option(
      '--lock-timeout',
      'lock_timeout of each attempt at a file (500ms, 1s, 2min; a bare number is seconds); on a timeout the file is rolled back and tried again; 0 is off',
      DEFAULT_LOCK_TIMEOUT,
    )
    .option('--lock-retries', 'attempts after a lock timeout, after growing pauses, within --wait', String(DEFAULT_LOCK_RETRIES))
    .option('--statement-timeout', 'statement_timeout for each file, same units; 0 is off', '0')
    .option('--wait', 'how long to wait for another runner, and for a busy table in all', '60s')
}

/** What withLockFlags declared, as library options. */
export function lockOptions(flags: Flags) {
  return {
    lockTimeout: str(flags, 'lock-timeout'),
    lockRetries: count(flags, 'lock-retries'),
    statementTimeout: str(flags, 'statement-timeout'),
    waitMs: durationMs(flags, 'wait'),
  }
}

/** --setup, the same on every command that builds a scratch database (src/db/setup.ts reads it). */
export const SETUP_HELP = "SQL file run on the scratch database before the history (repeatable); supabase: Strata's Supabase stand-in"
