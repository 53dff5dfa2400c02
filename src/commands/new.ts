/** `strata new <name>`: write the next migration file, numbered in the style the directory already uses. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { resolveFiles } from '../config/index.js'
import { readHistory } from '../runner/files.js'
import type { LayoutName } from '../layouts/index.js'
import { isPrismaLayout } from '../layouts/prisma.js'

export interface NewOptions {
  name: string
  dir?: string
  /** Whose folder layout it has (src/layouts/): the new file is written as that tool writes one; else detected. */
  layout?: string
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
  const layout = layoutOf(dir, cwd, resolveFiles(options).layout)
  if (layout === 'prisma' || isPrismaLayout(abs)) return newPrismaMigration(abs, cwd, name, options)
  if (layout === 'flyway' || layout === 'authelia') return newInOtherLayout(abs, cwd, name, layout, dir)
  // Pairs (golang-migrate, sqlx) count their versions like single files.
  const entries = readdirSync(abs).map((e) => e.replace(/\.(up|down)\.sql$/, '.sql'))
  const version = nextVersion(entries, options.now ?? new Date())
  const paired = layout === 'golang-migrate' || (layout === 'sqlx' && options.withDown)
  const path = join(abs, `${version}_${name}${paired ? '.up' : ''}.sql`)
  if (existsSync(path)) throw new StrataError('usage', `${relative(cwd, path)} already exists`)
  writeFileSync(path, options.content ?? SECTIONS[layout ?? ''] ?? template(name))
  const result: NewResult = { path: relative(cwd, path), version }
  if (paired) {
    const down = join(abs, `${version}_${name}.down.sql`)
    writeFileSync(down, '')
    result.downPath = relative(cwd, down)
  } else if (options.withDown && SECTIONS[layout ?? '']) {
    result.downPath = `${result.path} (down section)`
  } else if (options.withDown) {
    const down = join(abs, `${version}_${name}.down.sql`)
    writeFileSync(down, `-- Reverts ${version}_${name}.sql. Run by strata down.\n\n`)
    result.downPath = relative(cwd, down)
  }
  return result
}

/** A new file of a tool whose files hold both directions: its own markers, so that its layout reads it. */
const SECTIONS: Record<string, string> = {
  goose: '-- +goose Up\n\n\n-- +goose Down\n\n',
  dbmate: '-- migrate:up\n\n\n-- migrate:down\n\n',
  'node-pg-migrate': '-- Up Migration\n\n\n-- Down Migration\n\n',
}

/** The layout the folder is read with: asked for, else detected (an empty or unreadable folder: Strata's own). */
function layoutOf(dir: string, cwd: string, asked: LayoutName | undefined): LayoutName | undefined {
  if (asked) return asked
  try {
    return readHistory(dir, cwd).layout
  } catch {
    return undefined
  }
}

/** Flyway: V<next major>__<name>.sql. Authelia's files are Authelia's to write. */
function newInOtherLayout(abs: string, cwd: string, name: string, layout: LayoutName, dir: string): NewResult {
  if (layout === 'authelia') throw new StrataError('usage', "strata new does not write Authelia's migration files; Authelia ships them")
  const majors = readHistory(dir, cwd, 'flyway')
    .files.filter((f) => !f.repeatable)
    .map((f) => Math.floor(f.version / 1e6))
  const version = String((majors.length ? Math.max(...majors) : 0) + 1)
  const path = join(abs, `V${version}__${name}.sql`)
  if (existsSync(path)) throw new StrataError('usage', `${relative(cwd, path)} already exists`)
  writeFileSync(path, `-- ${name}\n-- Write idempotent SQL: CREATE ... IF NOT EXISTS, CREATE OR REPLACE, DROP ... IF EXISTS.\n\n`)
  return { path: relative(cwd, path), version }
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
