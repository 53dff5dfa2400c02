import type { AlterEnumStmt, AlterTableStmt } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import type { FileFacts } from '../facts.js'
import { display, listName, rangeVarName } from '../names.js'
import { alterTableCommands, createdObject, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

const CREATES: Record<string, string> = {
  CreateStmt: 'TABLE',
  IndexStmt: 'INDEX',
  CreateSchemaStmt: 'SCHEMA',
  CreateSeqStmt: 'SEQUENCE',
  CreateExtensionStmt: 'EXTENSION',
}

export const requireIfNotExists: Rule = {
  id: 'require-if-not-exists',
  category: 'idempotency',
  defaultSeverity: 'error',
  summary: 'CREATE TABLE/INDEX/SCHEMA/SEQUENCE/EXTENSION/MATERIALIZED VIEW, ADD COLUMN and ALTER TYPE ... ADD VALUE without IF NOT EXISTS.',
  kinds: [...Object.keys(CREATES), 'CreateTableAsStmt', 'AlterTableStmt', 'AlterEnumStmt'],
  check(statement, file) {
    if (statement.kind === 'AlterTableStmt') return addColumns(statement, file)
    if (statement.kind === 'AlterEnumStmt') return addValue(statement)
    return create(statement, file)
  },
}

function create(statement: Statement, file: FileFacts): Report[] {
  const node = inner<{ if_not_exists?: boolean; objtype?: string; is_select_into?: boolean; idxname?: string }>(statement)
  if (node.if_not_exists || node.is_select_into) return []
  const object = createdObject(statement)
  if (object && file.droppedEarlier(object)) return []
  const what =
    statement.kind === 'CreateTableAsStmt' ? (node.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE') : CREATES[statement.kind]!
  if (statement.kind === 'IndexStmt' && !node.idxname) {
    return [
      {
        message: 'CREATE INDEX without a name adds another copy of the index every time the migration runs again.',
        help: 'Name the index and use CREATE INDEX IF NOT EXISTS <name> ON ...',
      },
    ]
  }
  const name = object ? ` ${display(object)}` : ''
  return [
    {
      message: `CREATE ${what}${name} fails when it already exists, so the migration cannot run again after a partial failure.`,
      help: `Use CREATE ${what} IF NOT EXISTS${name}.`,
    },
  ]
}

function addColumns(statement: Statement, file: FileFacts): Report[] {
  const alter = inner<AlterTableStmt>(statement)
  const table = rangeVarName(alter.relation)
  return alterTableCommands(alter).flatMap((command): Report[] => {
    if (command.subtype !== 'AT_AddColumn' || command.missing_ok || !command.def || !('ColumnDef' in command.def)) return []
    const column = command.def.ColumnDef
    if (file.droppedEarlier({ type: 'column', name: column.colname ?? '', table })) return []
    return [
      {
        message: `ADD COLUMN ${display(column.colname ?? '')} fails when ${display(table)} already has that column, so the migration cannot run again.`,
        help: `Use ALTER TABLE ${display(table)} ADD COLUMN IF NOT EXISTS ${display(column.colname ?? '')} ...`,
        offset: file.offsetOf(column.location),
      },
    ]
  })
}

function addValue(statement: Statement): Report[] {
  const alter = inner<AlterEnumStmt>(statement)
  if (!alter.newVal || alter.oldVal || alter.skipIfNewValExists) return []
  const type = display(listName(alter.typeName))
  return [
    {
      message: `ALTER TYPE ${type} ADD VALUE '${alter.newVal}' fails when the value already exists.`,
      help: `Use ALTER TYPE ${type} ADD VALUE IF NOT EXISTS '${alter.newVal}'.`,
    },
  ]
}
