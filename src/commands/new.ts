/** `strata new <name>`: write the next migration file, numbered in the style the directory already uses. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { resolveFiles } from '../config/index.js'
import { isPrismaLayout } from '../layouts/prisma.js'

export interface NewOptions {
  name: string
  dir?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Also write the empty `.down.sql`. */
  withDown?: boolean
  /** For tests: the clock used for timestamp-numbered directories. */
  now?: Date
  /** The file's text, instead of the empty template (strata diff writes what it captured). */
  content?: string
}

export interface NewResult {
  path: string
  downPath?: string
  version: string
}

export function newMigration(options: NewOptions): NewResult {
  const { cwd, dir } = resolveFiles(options)
  const name = options.name.trim().replace(/\s+/g, '_')
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new StrataError('usage', `migration name ${JSON.stringify(options.name)} may contain only letters, digits, _ and -`)
  }
  const abs = resolve(cwd, dir)
  mkdirSync(abs, { recursive: true })
  if (isPrismaLayout(abs)) return newPrismaMigration(abs, cwd, name, options)
  const version = nextVersion(readdirSync(abs), options.now ?? new Date())
  const path = join(abs, `${version}_${name}.sql`)
  if (existsSync(path)) throw new StrataError('usage', `${relative(cwd, path)} already exists`)
  writeFileSync(path, options.content ?? template(name))
  const result: NewResult = { path: relative(cwd, path), version }
  if (options.withDown) {
    const down = join(abs, `${version}_${name}.down.sql`)
    writeFileSync(down, `-- Reverts ${version}_${name}.sql. Run by strata down.\n\n`)
    result.downPath = relative(cwd, down)
  }
  return result
}

/** Prisma's layout: a `<timestamp>_<name>/migration.sql` folder, numbered like the folders already there. */
function newPrismaMigration(abs: string, cwd: string, name: string, options: NewOptions): NewResult {
  if (options.withDown)
    throw new StrataError('usage', '--with-down is not available in a Prisma migrations folder (Prisma has no down files)')
  const folders = readdirSync(abs).map((e) => `${e}.sql`) // nextVersion reads versions from file names
  const version = nextVersion(folders, options.now ?? new Date())
  const folder = join(abs, `${version}_${name}`)
  if (existsSync(folder)) throw new StrataError('usage', `${relative(cwd, folder)} already exists`)
  mkdirSync(folder)
  const path = join(folder, 'migration.sql')
  writeFileSync(path, options.content ?? template(name))
  return { path: relative(cwd, path), version }
}

const template = (name: string) =>
  `-- ${name}\n-- Write idempotent SQL: CREATE ... IF NOT EXISTS, CREATE OR REPLACE, DROP ... IF EXISTS.\n\n`

/**
 * max + 1, zero-padded to the width in use (3 in an empty directory); in a directory of timestamp
 * versions (YYYYMMDDHHMMSS, as Supabase and dbmate write them) the current UTC time, when it is later.
 */
export function nextVersion(entries: string[], now: Date): string {
  const versions = entries.map((e) => /^(\d+)_[A-Za-z0-9_-]+(\.down)?\.sql$/.exec(e)?.[1]).filter((v): v is string => !!v)
  if (!versions.length) return '001'
  const width = Math.max(...versions.map((v) => v.length))
  const max = versions.reduce((m, v) => (BigInt(v) > m ? BigInt(v) : m), 0n)
  if (width === 14 && /^20\d{12}$/.test(String(max))) {
    const stamp = BigInt(now.toISOString().replace(/\D/g, '').slice(0, 14))
    return String(stamp > max ? stamp : max + 1n)
  }
  return String(max + 1n).padStart(width, '0')
}
