/**
 * Options shared by every command, and where each comes from: flag, then environment, then default.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { resolveDir } from '../runner/files.js'
import { connectTimeoutFromEnv } from '../db/url.js'
import type { ConnectionBudget } from '../db/target.js'

export interface CommonOptions {
  /** Postgres URL; else DATABASE_URL. */
  url?: string
  /** Migrations directory; else STRATA_DIR, else core/migrations when it exists, else migrations. */
  dir?: string
  /** Ledger schema, default `strata`. */
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

function resolveCommon(opts: CommonOptions): Resolved {
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env ?? process.env
  const schema = opts.schema ?? env.STRATA_SCHEMA ?? 'strata'
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema))
    throw new StrataError('usage', `--schema ${JSON.stringify(schema)} is not a plain identifier`)
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
  if (url && !opts.embedded && !/^postgres(ql)?:\/\//.test(url)) {
    throw new StrataError('config', 'the database URL must start with postgres:// or postgresql://')
  }
  const expectHost = opts.expectHost ?? (env.STRATA_EXPECT_HOST || undefined)
  return { cwd, dir: resolveDir(opts.dir, cwd, env), schema, url: opts.embedded ? undefined : url, embedded: !!opts.embedded, expectHost }
}

/**
 * Load KEY=VALUE lines into `env` without overriding what is already set (the shell wins over the file).
 * `--env-file` must exist; the default `.env` is read only when present.
 */
export function loadEnvFile(path: string | undefined, cwd = process.cwd(), env = process.env): void {
  const file = join(cwd, path ?? '.env')
  if (!existsSync(file)) {
    if (path) throw new StrataError('config', `--env-file ${path} does not exist`)
    return
  }
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw)
    if (!m || m[1] in env) continue
    let value = m[2]
    const quoted = /^(['"])(.*)\1$/.exec(value)
    if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, '\n') : quoted[2]
    else value = value.replace(/\s+#.*$/, '')
    env[m[1]] = value
  }
}
