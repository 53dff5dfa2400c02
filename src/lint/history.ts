/**
 * What the files before a file did, for the few rules whose answer depends on it (today: whether an earlier file
 * made a valid CHECK (col IS NOT NULL), so that SET NOT NULL skips its scan). Read lazily: only when a rule asks,
 * and then only the earlier files that mention the table. Linting stays a pure function of its inputs: the
 * cache (cache.ts) keys such a file's result on the earlier files too.
 */
import { readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { AlterTableStmt, Constraint } from '@pgsql/types'
import type { loadParser } from '../sql/index.js'
import { parseWith } from '../sql/parse.js'
import type { QualifiedName } from './names.js'
import { stringValues } from './names.js'
import { alterTableCommands } from './objects.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

export interface Source {
  path: string
  content: string
}

/** The files before `path`, oldest first; undefined when they cannot be known. */
export type EarlierFiles = (path: string) => Source[] | undefined

export class History {
  private readonly proven = new Map<string, Set<string>>()

  constructor(
    private readonly earlier: () => Source[],
    private readonly parser: Parser,
  ) {}

  /** Whether, after the earlier files, the table has a valid CHECK (column IS NOT NULL). */
  provesNotNull(table: QualifiedName, column: string): boolean {
    let proven = this.proven.get(table.name)
    if (!proven) this.proven.set(table.name, (proven = this.readNotNullChecks(table.name)))
    return proven.has(`${table.name}|${column}`)
  }

  private readNotNullChecks(tableName: string): Set<string> {
    const checks = new Map<string, { column?: string; valid: boolean }>()
    const mentions = new RegExp(`\\b${tableName.replace(/[^\w$]/g, '')}\\b`, 'i')
    for (const source of this.earlier()) {
      if (!mentions.test(source.content) || !/\bcheck\b|\bvalidate\b/i.test(source.content)) continue
      for (const statement of parseWith(this.parser.parseSync, source.content).statements) {
        if (statement.kind !== 'AlterTableStmt') continue
        const alter = (statement.node as { AlterTableStmt: AlterTableStmt }).AlterTableStmt
        const table = alter.relation?.relname ?? ''
        for (const command of alterTableCommands(alter)) {
          const key = `${table}|${command.name ?? ''}`
          if (command.subtype === 'AT_AddConstraint' && command.def && 'Constraint' in command.def) {
            const constraint = command.def.Constraint
            if (constraint.contype !== 'CONSTR_CHECK' || !constraint.conname) continue
            checks.set(`${table}|${constraint.conname}`, { column: notNullColumn(constraint), valid: !constraint.skip_validation })
          } else if (command.subtype === 'AT_ValidateConstraint' && checks.has(key)) {
            checks.get(key)!.valid = true
          } else if (command.subtype === 'AT_DropConstraint') {
            checks.delete(key)
          }
        }
      }
    }
    const proven = new Set<string>()
    for (const [key, check] of checks) if (check.valid && check.column) proven.add(`${key.split('|')[0]}|${check.column}`)
    return proven
  }
}

function notNullColumn(constraint: Constraint): string | undefined {
  const expression = constraint.raw_expr
  if (!expression || !('NullTest' in expression) || expression.NullTest.nulltesttype !== 'IS_NOT_NULL') return undefined
  const arg = expression.NullTest.arg
  return arg && 'ColumnRef' in arg ? stringValues(arg.ColumnRef.fields).pop() : undefined
}

const VERSIONED = /^(\d+)_[A-Za-z0-9_-]+(\.sql)?$/

interface Versioned extends Source {
  version: bigint
}

/**
 * The files before a migration file on disk: the up files beside it with a smaller version (or, in a Prisma
 * folder, the `migration.sql` of the folders before its own), read with `read` once per folder.
 */
export function earlierOnDisk(resolvePath: (path: string) => string, read: (path: string) => string): EarlierFiles {
  const folders = new Map<string, Versioned[]>()
  return (path) => {
    const name = basename(path)
    const prisma = name === 'migration.sql'
    const own = VERSIONED.exec(prisma ? basename(dirname(path)) : name)
    if (!own || name.endsWith('.down.sql')) return undefined
    const parent = prisma ? dirname(dirname(path)) : dirname(path)
    const key = `${prisma}:${parent}`
    let files = folders.get(key)
    if (!files) folders.set(key, (files = readFolder(parent, prisma, resolvePath, read)))
    return files.filter((file) => file.version < BigInt(own[1]!))
  }
}

function readFolder(parent: string, prisma: boolean, resolvePath: (path: string) => string, read: (path: string) => string): Versioned[] {
  let entries: string[]
  try {
    entries = readdirSync(resolvePath(parent))
  } catch {
    return []
  }
  const files: Versioned[] = []
  for (const entry of entries) {
    const version = VERSIONED.exec(entry)?.[1]
    if (version === undefined || entry.endsWith('.down.sql') || entry.endsWith('.sql') === prisma) continue
    const path = prisma ? join(parent, entry, 'migration.sql') : join(parent, entry)
    try {
      files.push({ path, content: read(path), version: BigInt(version) })
    } catch {
      // a folder without migration.sql, or an unreadable file: the runner refuses it by name; here it just says nothing
    }
  }
  return files.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
}
