import type { A_Const, TypeCast } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import { forEachNode } from '../nodes.js'
import { codeBody } from '../bodies.js'
import type { AddedEnumValue, FileFacts } from '../facts.js'
import { display, listName } from '../names.js'
import type { Report, Rule } from '../types.js'

// Statements that evaluate the literals they hold while the file runs (a function body is only stored).
const RUNS = ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'AlterTableStmt', 'IndexStmt', 'CreateStmt']

export const enumValueUsedInTransaction: Rule = {
  id: 'enum-value-used-in-transaction',
  category: 'transaction',
  defaultSeverity: 'error',
  summary: 'An enum value added with ALTER TYPE ... ADD VALUE and used in the same transaction: PostgreSQL refuses it (55P04).',
  kinds: [...RUNS, 'CreateTableAsStmt', 'ViewStmt', 'DoStmt', 'CallStmt'],
  check(statement, file) {
    const added = file.enumValues.filter((value) => value.transaction === file.transaction && !file.noTransaction)
    if (!added.length) return []
    return statement.kind === 'DoStmt' ? inBlock(statement, added) : inStatement(statement, file, added)
  },
}

function inStatement(statement: Statement, file: FileFacts, added: AddedEnumValue[]): Report[] {
  const castElsewhere = new Set<number>() // 'x'::text is a string, not the enum's value
  forEachNode<TypeCast>(statement.node, 'TypeCast', (cast) => {
    const type = listName(cast.typeName?.names).name
    const arg = cast.arg && 'A_Const' in cast.arg ? cast.arg.A_Const : undefined
    if (arg?.location !== undefined && !added.some((value) => value.type.name === type)) castElsewhere.add(arg.location)
  })
  const reports: Report[] = []
  forEachNode<A_Const>(statement.node, 'A_Const', (literal) => {
    const value = added.find((candidate) => candidate.value === literal.sval?.sval)
    if (!value || reports.length || (literal.location !== undefined && castElsewhere.has(literal.location))) return
    const offset = file.offsetOf(literal.location)
    reports.push({ ...report(value), offset, end: offset === undefined ? undefined : offset + value.value.length + 2 })
  })
  return reports
}

function inBlock(statement: Statement, added: AddedEnumValue[]): Report[] {
  const body = codeBody(statement)?.body ?? ''
  const value = added.find((candidate) => body.includes(`'${candidate.value.replace(/'/g, "''")}'`))
  return value ? [report(value)] : []
}

function report(value: AddedEnumValue): Report {
  return {
    message: `'${value.value}' was added to enum ${display(value.type)} at line ${value.line} in the same transaction: PostgreSQL refuses to use a new enum value before the transaction that added it commits (unsafe use of new value, 55P04).`,
    help: 'Move ALTER TYPE ... ADD VALUE to a migration of its own before this one (each file is its own transaction), or put it in a `-- strata:no-transaction` file.',
  }
}
