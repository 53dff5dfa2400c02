/**
 * Options shared by every command, and where each comes from: flag, then environment, then default.
 * The CLI loads `.env` (or --env-file) into the environment first (src/config/env-file.ts), for every command.
 */
import { resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { connectTimeoutFromEnv, parseUrl } from '../db/url.js'
import { resolveDir } from './dir.js'
import { readProjectConfig } from './project.js'
import { layoutName, type LayoutName } from '../layouts/names.js'

export { loadEnvFile, parseEnvFile } from './env-file.js'
export { parseDuration, pgDuration } from './duration.js'
export { readProjectConfig, type ProjectConfig } from './project.js'
export { resolveDir }
import type { ConnectionBudget } from '../db/target.js'

export interface CommonOptions {
  /** Postgres URL; else DATABASE_URL. */
  url?: string
  /** Migrations directory; else STRATA_DIR, else core/migrations when it exists, else migrations. */
  dir?: string
  /** Whose folder layout it has (src/layouts/); else STRATA_LAYOUT, else package.json "strata.layout", else detected. */
  layout?: string
  /** Ledger schema; else STRATA_SCHEMA, else `strata`. */
  schema?: string
  /** Use the embedded Postgres in `.strata/pg` instead of a URL. */
  embedded?: boolean
  /** `--embedded` is refused when CI is set, unless this is given too. */
  allowEmbeddedInCi?: boolean
  /** CA certificate file to verify the server's TLS certificate with (--ssl-ca); else PGSSLROOTCERT. */
  sslCa?: string
  /** Told where a command is connected, before it does anything there (the CLI prints it first). */
  onTarget?: (target: string, server: { version: string; database: string; user: string; host?: string; encrypted?: boolean }) => void
  /** Refuse to touch any database whose host does not match this glob (else STRATA_EXPECT_HOST). */
  expectHost?: string
  /** How long a login may take, in ms, over all hosts (else STRATA_CONNECT_TIMEOUT, the URL's connect_timeout, 10 s). */
  connectTimeoutMs?: number
  /** A fan-out's connections (src/targets/): at most so many at once, and reused from one target to the next. */
  connections?: ConnectionBudget
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface Resolved {
  cwd: string
  dir: string
  layout?: LayoutName
  schema: string
  url?: string
  embedded: boolean
  /** Absolute path of the CA certificate file, or `system` for Node's bundled CAs. */
  sslCa?: string
  expectHost?: string
  connectTimeoutMs?: number
  onTarget?: CommonOptions['onTarget']
  connections?: ConnectionBudget
}

export function resolveOptions(opts: CommonOptions): Resolved {
  const connectTimeoutMs = opts.connectTimeoutMs ?? connectTimeoutFromEnv(opts.env ?? process.env)
  return { ...resolveCommon(opts), sslCa: sslCaPath(opts), connectTimeoutMs, onTarget: opts.onTarget, connections: opts.connections }
}

/** --ssl-ca, else PGSSLROOTCERT (as libpq reads it), relative to the working directory. */
function sslCaPath(opts: CommonOptions): string | undefined {
  const path = opts.sslCa ?? ((opts.env ?? process.env).PGSSLROOTCERT || undefined)
  return path && path !== 'system' ? resolve(opts.cwd ?? process.cwd(), path) : path
}

/** What commands without a database (lint, new, reverse, check-reverse) need: where the files are. */
export interface FileOptions {
  dir?: string
  layout?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export function resolveFiles(opts: FileOptions): { cwd: string; dir: string; layout?: LayoutName } {
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env ?? process.env
  return { cwd, dir: resolveDir(opts.dir, cwd, env), layout: resolveLayout(opts.layout, cwd, env) }
}

/** --layout, else STRATA_LAYOUT, else package.json "strata.layout"; undefined: the reader detects it. */
function resolveLayout(flag: string | undefined, cwd: string, env: NodeJS.ProcessEnv): LayoutName | undefined {
  if (flag) return layoutName(flag, '--layout')
  if (env.STRATA_LAYOUT) return layoutName(env.STRATA_LAYOUT, 'STRATA_LAYOUT')
  const configured = readProjectConfig(cwd).layout
  return configured === undefined ? undefined : layoutName(configured, 'package.json "strata.layout"')
}

function resolveCommon(opts: CommonOptions): Resolved {
  const { cwd, dir, layout } = resolveFiles(opts)
  const env = opts.env ?? process.env
  const schema = opts.schema ?? (env.STRATA_SCHEMA || 'strata')
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema))
    throw new StrataError('usage', `${opts.schema ? '--schema' : 'STRATA_SCHEMA'} ${JSON.stringify(schema)} is not a plain identifier`)
  const url = opts.url ?? (env.DATABASE_URL || undefined)
  if (opts.embedded && env.CI && !opts.allowEmbeddedInCi) {
    throw new StrataError('config', 'refusing --embedded because CI is set: a deploy job must never succeed against a throwaway database', {
      hint: 'set DATABASE_URL (or --url) to the real database; pass --allow-embedded-in-ci if a scratch database is really what you want',
    })
  }
  if (!opts.embedded && !url) {
    throw new StrataError('config', 'no database URL', {
      hint: 'set DATABASE_URL (in the environment or a .env file), pass --url postgres://user:password@host:5432/db, or use --embedded for a local scratch Postgres',
    })
  }
  if (url && !opts.embedded) checkUrl(url, opts.url ? '--url' : 'DATABASE_URL')
  const expectHost = opts.expectHost ?? (env.STRATA_EXPECT_HOST || undefined)
  return { cwd, dir, layout, schema, url: opts.embedded ? undefined : url, embedded: !!opts.embedded, expectHost }
}

/** A URL the driver can take, or a configuration error that never repeats it (it may hold a password). */
function checkUrl(url: string, source: string): void {
  try {
    parseUrl(url)
  } catch (e) {
    if (e instanceof StrataError) e.message = `${source}: ${e.message}`
    throw e
  }
}
