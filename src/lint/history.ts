/**
 * What the files before a file did, for the few rules whose answer depends on it (today: whether an earlier file
 * made a valid CHECK (col IS NOT NULL), so that SET NOT NULL skips its scan). Read lazily: only when a rule asks,
 * each earlier file once per run, and in it only the ALTER TABLE statements that can add, validate or drop a
 * check. Linting stays a pure function of its inputs: the cache (cache.ts) keys such a file's result on the
 * earlier files too.
 */
import type { AlterTableStmt } from '@pgsql/types'
import type { loadParser } from '../sql/index.js'
import { statementSpans } from '../sql/boundaries.js'
import { parseWith } from '../sql/parse.js'
import type { QualifiedName } from './names.js'
import { alterTableCommands, notNullColumn } from './objects.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

export interface Source {
  path: string
  content: string
}

/** The files before `path`, oldest first; undefined when they cannot be known. */
export type EarlierFiles = (path: string) => Source[] | undefined

/** What one earlier file did to CHECK constraints, in order (read once per file and lint run). */
type CheckEvent =
  | { type: 'add'; table: string; constraint: string; column?: string; valid: boolean }
  | { type: 'validate' | 'drop'; table: string; constraint: string }

const eventsOf = new WeakMap<Source, CheckEvent[]>()
const adds = new WeakMap<Source, boolean>()
const NOT_NULL_CHECK = /\bcheck\s*\(\s*\(?\s*(?:"[^"]+"|[\w$]+)\s+is\s+not\s+null\b/i

function addsNotNullCheck(source: Source): boolean {
  let found = adds.get(source)
  if (found === undefined) adds.set(source, (found = NOT_NULL_CHECK.test(source.content)))
  return found
}
// The statements that can add, validate or drop a check, told apart without the parser: only those are parsed.
const CHECK_STATEMENT = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*alter\s+table\b[\s\S]*\b(check|validate\s+constraint|drop\s+constraint)\b/i

export class History {
  private readonly proven = new Map<string, Set<string>>()
  private files?: Source[]

  constructor(
    private readonly earlier: () => Source[],
    private readonly parser: Parser,
  ) {}

  /** Whether, after the earlier files, the table has a valid CHECK (column IS NOT NULL). */
  provesNotNull(table: QualifiedName, column: string): boolean {
    let proven = this.proven.get(table.name)
    if (!proven) this.proven.set(table.name, (proven = this.readNotNullChecks(table.name)))
    return proven.has(column)
  }

  private readNotNullChecks(tableName: string): Set<string> {
    this.files ??= this.earlier()
    // Only a file that writes CHECK (col IS NOT NULL) can add one; the others matter only if they name such a check.
    const adding = this.files.filter(addsNotNullCheck)
    const names = adding.flatMap((source) =>
      this.events(source).flatMap((event) => (event.type === 'add' && event.table === tableName && event.column ? [event.constraint] : [])),
    )
    if (!names.length) return new Set()
    const checks = new Map<string, { column?: string; valid: boolean }>()
    for (const source of this.files) {
      if (!adding.includes(source) && !names.some((name) => source.content.toLowerCase().includes(name.toLowerCase()))) continue
      for (const event of this.events(source)) {
        if (event.table !== tableName) continue
        if (event.type === 'add') checks.set(event.constraint, { column: event.column, valid: event.valid })
        else if (event.type === 'validate' && checks.has(event.constraint)) checks.get(event.constraint)!.valid = true
        else if (event.type === 'drop') checks.delete(event.constraint)
      }
    }
    return new Set([...checks.values()].flatMap((check) => (check.valid && check.column ? [check.column] : [])))
  }

  private events(source: Source): CheckEvent[] {
    let events = eventsOf.get(source)
    if (events) return events
    events = []
    for (const span of statementSpans(source.content)) {
      const text = source.content.slice(span.start, span.end)
      if (CHECK_STATEMENT.test(text)) events.push(...checkEvents(this.parser, text))
    }
    eventsOf.set(source, events)
    return events
  }
}

function checkEvents(parser: Parser, text: string): CheckEvent[] {
  const events: CheckEvent[] = []
  for (const statement of parseWith(parser.parseSync, text).statements) {
    if (statement.kind !== 'AlterTableStmt') continue
    const alter = (statement.node as { AlterTableStmt: AlterTableStmt }).AlterTableStmt
    const table = alter.relation?.relname ?? ''
    for (const command of alterTableCommands(alter)) {
      if (command.subtype === 'AT_AddConstraint' && command.def && 'Constraint' in command.def) {
        const constraint = command.def.Constraint
        if (constraint.contype !== 'CONSTR_CHECK' || !constraint.conname) continue
        events.push({
          type: 'add',
          table,
          constraint: constraint.conname,
          column: notNullColumn(constraint),
          valid: !constraint.skip_validation,
        })
      } else if (command.subtype === 'AT_ValidateConstraint' || command.subtype === 'AT_DropConstraint') {
        events.push({ type: command.subtype === 'AT_ValidateConstraint' ? 'validate' : 'drop', table, constraint: command.name ?? '' })
      }
    }
  }
  return events
}
