import type { AlterTableStmt, ColumnDef } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'
import { isSerial } from '../../verify/sql-names.js'

export const addColumnNotNull: Rule = {
  id: 'add-column-not-null',
  category: 'breaking',
  defaultSeverity: 'warning',
  summary: 'ADD COLUMN ... NOT NULL without a default on an existing table fails as soon as the table has a row.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] => {
      if (command.subtype !== 'AT_AddColumn' || !command.def || !('ColumnDef' in command.def)) return []
      const column = command.def.ColumnDef
      if (!requiredWithoutValue(column)) return []
      return [
        {
          message: `ADD COLUMN ${display(column.colname ?? '')} is NOT NULL with no default, so it fails on ${display(table)} as soon as the table has a row (existing rows would be NULL).`,
          help: 'Give it a DEFAULT (a constant default is instant on PostgreSQL 11+); or add it nullable, backfill it, and SET NOT NULL in a later migration.',
          offset: file.offsetOf(column.location),
        },
      ]
    })
  },
}

/** NOT NULL (or PRIMARY KEY) and nothing that gives existing rows a value: no default, identity, generated expression or serial. */
function requiredWithoutValue(column: ColumnDef): boolean {
  if (isSerial(column.typeName)) return false
  let required = false
  for (const node of column.constraints ?? []) {
    if (!('Constraint' in node)) continue
    const type = node.Constraint.contype
    if (type === 'CONSTR_DEFAULT' || type === 'CONSTR_IDENTITY' || type === 'CONSTR_GENERATED') return false
    if (type === 'CONSTR_NOTNULL' || type === 'CONSTR_PRIMARY') required = true
  }
  return required
}
