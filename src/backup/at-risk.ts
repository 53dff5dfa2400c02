/**
 * Which data the pending files put at risk, read from the statements' syntax trees (no database):
 * tables they drop, truncate or delete every row from, columns they drop, retype or overwrite.
 *
 * Every statement of every pending file is looked at, not only those the lint findings list: a
 * `-- strata:ignore drop-table` comment removes the finding, yet it marks exactly the destruction
 * that will run. The findings still matter: a destructive finding whose data we cannot work out
 * becomes a note, so nobody believes it was backed up.
 */
import type { MigrationFile } from '../runner/file-format.js'
import type { Finding } from '../lint/index.js'
import type { Statement } from '../sql/index.js'
import type { VisitLimits } from '../sql/pieces.js'

export interface Name {
  schema?: string
  name: string
}

/** What one statement destroys, in terms the catalog can resolve. */
export type Target =
  | { kind: 'rows'; table: Name } // every row of the table
  | { kind: 'columns'; table: Name; columns: string[] } // these columns' values
  | { kind: 'schema'; schema: string } // every table in it
  | { kind: 'referencing'; tables: Name[] } // tables TRUNCATE ... CASCADE empties through foreign keys
  | { kind: 'type-columns'; type: Name } // columns DROP TYPE/DOMAIN ... CASCADE takes with it

export interface Reason {
  file: string
  line: number
  rule: string
  /** The statement, shortened, for people reading the manifest. */
  statement: string
}

export interface Risk {
  target: Target
  reason: Reason
}

export interface RiskAnalysis {
  risks: Risk[]
  /** Destructive statements whose data strata cannot name: say so rather than imply they are covered. */
  notes: string[]
}

type Node = Record<string, any> // libpg-query's JSON: `{ KindName: { ...fields } }`

export async function findRisks(files: MigrationFile[], findings: Finding[] = [], limits?: VisitLimits): Promise<RiskAnalysis> {
  const { loadParser, visitStatements, LineIndex } = await import('../sql/index.js') // loaded only when there is something to read
  const parser = await loadParser()
  const risks: Risk[] = []
  const notes: string[] = []
  for (const file of files) {
    const lines = new LineIndex(file.content)
    const covered: { from: number; to: number }[] = []
    // Statement by statement, in pieces for a large file (src/sql/pieces.ts); a file that does not parse has none.
    visitStatements(
      parser,
      file.content,
      lines,
      (statement) => {
        const reason = (rule: string): Reason => ({ file: file.path, line: statement.line, rule, statement: shorten(statement.text) })
        const found = statementRisks(statement, reason)
        risks.push(...found.risks)
        notes.push(...found.notes)
        if (found.risks.length || found.notes.length || found.harmless) {
          covered.push({ from: statement.line, to: lines.position(statement.end).line })
        }
      },
      limits,
    )
    for (const f of findings) {
      if (f.file !== file.path || f.category !== 'destructive') continue
      if (covered.some((c) => f.line >= c.from && f.line <= c.to)) continue
      notes.push(
        `${f.file}:${f.line} (${f.rule}): not backed up: strata cannot tell which data this statement puts at risk; back it up yourself`,
      )
    }
  }
  return { risks, notes }
}

interface StatementRisks {
  risks: Risk[]
  notes: string[]
  /** Destructive-looking but holds no data (DROP VIEW ... CASCADE): a finding here needs no note. */
  harmless?: boolean
}

function statementRisks(statement: Statement, reason: (rule: string) => Reason): StatementRisks {
  const node = statement.node as Node
  const risks: Risk[] = []
  const add = (rule: string, target: Target) => risks.push({ target, reason: reason(rule) })
  if (node.DropStmt) return { ...dropRisks(node.DropStmt, add, reason), risks }
  if (node.TruncateStmt) {
    const tables = ((node.TruncateStmt.relations ?? []) as Node[]).filter((r) => r.RangeVar).map((r) => rangeVar(r.RangeVar))
    for (const table of tables) add('truncate', { kind: 'rows', table })
    if (node.TruncateStmt.behavior === 'DROP_CASCADE' && tables.length) add('drop-cascade', { kind: 'referencing', tables })
  }
  if (node.AlterTableStmt && (node.AlterTableStmt.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const table = rangeVar(node.AlterTableStmt.relation)
    for (const cmd of (node.AlterTableStmt.cmds ?? []) as Node[]) {
      const c = cmd.AlterTableCmd
      if (c?.subtype === 'AT_DropColumn' && c.name) add('drop-column', { kind: 'columns', table, columns: [c.name] })
      if (c?.subtype === 'AT_AlterColumnType' && c.name) add('alter-column-type', { kind: 'columns', table, columns: [c.name] })
    }
  }
  // DELETE and UPDATE without WHERE, also inside WITH clauses of any statement.
  for (const remove of nodesOf(node, 'DeleteStmt')) {
    if (!remove.whereClause) add('delete-without-where', { kind: 'rows', table: rangeVar(remove.relation) })
  }
  for (const update of nodesOf(node, 'UpdateStmt')) {
    if (update.whereClause) continue
    const columns = ((update.targetList ?? []) as Node[]).map((t) => t.ResTarget?.name).filter((n): n is string => !!n)
    add('update-without-where', { kind: 'columns', table: rangeVar(update.relation), columns: [...new Set(columns)] })
  }
  return { risks, notes: [] }
}

function dropRisks(drop: Node, add: (rule: string, target: Target) => void, reason: (rule: string) => Reason): StatementRisks {
  const objects = (drop.objects ?? []) as Node[]
  const cascade = drop.behavior === 'DROP_CASCADE'
  switch (drop.removeType) {
    case 'OBJECT_TABLE':
      for (const o of objects) add('drop-table', { kind: 'rows', table: listName(o.List?.items) })
      return { risks: [], notes: [] }
    case 'OBJECT_SCHEMA':
      for (const o of objects) if (o.String?.sval) add('drop-schema', { kind: 'schema', schema: o.String.sval })
      return { risks: [], notes: [] }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN':
      if (cascade) for (const o of objects) add('drop-cascade', { kind: 'type-columns', type: listName(o.TypeName?.names) })
      return { risks: [], notes: [], harmless: !cascade }
    case 'OBJECT_EXTENSION': {
      if (!cascade) return { risks: [], notes: [], harmless: true }
      const r = reason('drop-cascade')
      return {
        risks: [],
        notes: [
          `${r.file}:${r.line} (drop-cascade): DROP EXTENSION ... CASCADE drops every column of the extension's types; strata does not back those up: do it yourself`,
        ],
      }
    }
    default:
      // Views, functions, indexes, policies, triggers...: definitions, not data.
      return { risks: [], notes: [], harmless: true }
  }
}

/** Every node of a kind anywhere in a tree (DELETE/UPDATE may sit in a WITH clause). */
function nodesOf(tree: unknown, kind: string, found: Node[] = []): Node[] {
  if (Array.isArray(tree)) for (const item of tree) nodesOf(item, kind, found)
  else if (tree && typeof tree === 'object') {
    for (const [key, value] of Object.entries(tree)) {
      if (key === kind) found.push(value as Node)
      nodesOf(value, kind, found)
    }
  }
  return found
}

function rangeVar(r: Node | undefined): Name {
  return { schema: r?.schemaname || undefined, name: r?.relname ?? '' }
}

function listName(items: Node[] | undefined): Name {
  const parts = (items ?? []).map((i) => i.String?.sval).filter((s): s is string => typeof s === 'string')
  const name = parts.pop() ?? ''
  return { schema: parts.pop(), name }
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat
}
