/**
 * The targets of a fan-out, from a `--targets` file: one per line, a URL or a database name on the server of
 * `--url`; blank lines and `#` comments ignored. And `--shard K/N`: which of them this machine takes.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { changeUrl, maskUrl, parseUrl } from '../db/url.js'

export interface TargetSpec {
  /** How output names it: a database name, a schema name, or the URL with its password masked. */
  name: string
  kind: 'url' | 'database' | 'schema'
  /** Where to connect (it may hold a password: never shown). */
  url: string
  /** The ledger schema in that database. */
  schema: string
  /** --each-schema: the tenant's search_path (the tenant first, then the database's own). */
  searchPath?: string
  /** --each-schema: the same, as the schemas verify resolves unqualified names in. */
  searchSchemas?: string[]
  /** The line of the --targets file. */
  line?: number
}

/** Where --targets reads: a file, `-` for standard input, or (from the API) the lines themselves. */
export type TargetSource = string | string[]

export function readTargetLines(source: TargetSource, cwd: string): { lines: string[]; from: string } {
  if (Array.isArray(source)) return { lines: source, from: 'the targets given' }
  const from = source === '-' ? 'standard input' : source
  try {
    return { lines: readFileSync(source === '-' ? 0 : resolve(cwd, source), 'utf8').split(/\r?\n/), from }
  } catch (e) {
    throw new StrataError('config', `cannot read --targets ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
}

/** One target per line; `#` starts a comment. A database name needs a server URL (`--url`, DATABASE_URL). */
export function parseTargets(lines: string[], from: string, base: { url?: string; schema: string }): TargetSpec[] {
  const targets: TargetSpec[] = []
  const seen = new Map<string, number>()
  for (const [i, raw] of lines.entries()) {
    const text = raw.replace(/(^|\s)#.*$/, '').trim()
    if (!text) continue
    const line = i + 1
    const where = `${from}:${line}`
    const target = /^postgres(ql)?:\/\//.test(text) ? urlTarget(text, where) : databaseTarget(text, where, base.url)
    const key = `${target.kind} ${target.name}`
    if (seen.has(key)) throw new StrataError('config', `${where}: ${target.name} is already a target at line ${seen.get(key)}`)
    seen.set(key, line)
    targets.push({ ...target, schema: base.schema, line })
  }
  if (!targets.length) throw new StrataError('config', `${from} names no target`, { hint: 'one URL or database name per line' })
  return targets
}

function urlTarget(url: string, where: string): Omit<TargetSpec, 'schema'> {
  try {
    parseUrl(url)
  } catch (e) {
    throw new StrataError('config', `${where}: ${(e as Error).message}`, (e as StrataError).facts)
  }
  return { name: maskUrl(url), kind: 'url', url }
}

function databaseTarget(name: string, where: string, base: string | undefined): Omit<TargetSpec, 'schema'> {
  if (/\s/.test(name)) throw new StrataError('config', `${where}: a target is one URL or one database name, not ${JSON.stringify(name)}`)
  if (!base) {
    throw new StrataError('config', `${where}: database ${name} needs the server's URL`, {
      hint: 'pass --url (or set DATABASE_URL) for the server that holds the databases the file names',
    })
  }
  return { name, kind: 'database', url: changeUrl(base, { database: name }) }
}

/** `--shard K/N` (K from 1 to N). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (!m || count < 1 || index < 1 || index > count)
    throw new StrataError('usage', `--shard ${JSON.stringify(text)} is not K/N with K from 1 to N, e.g. 2/4`)
  return { index, count }
}

/**
 * The K-th of N slices, by a hash of each target's name: every target falls in exactly one slice, and adding
 * or removing a target moves no other one to another slice (a CI matrix can rerun one shard).
 */
export function takeShard<T extends { name: string }>(targets: T[], shard: { index: number; count: number }): T[] {
  return targets.filter((t) => shardOf(t.name, shard.count) === shard.index)
}

export function shardOf(name: string, count: number): number {
  return (createHash('sha256').update(name).digest().readUInt32BE(0) % count) + 1
}
