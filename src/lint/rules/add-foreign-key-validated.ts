import type { AlterTableStmt, Constraint, Node } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Rule } from '../types.js'

export const addForeignKeyValidated: Rule = {
  id: 'add-foreign-key-validated',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'Adding a foreign key without NOT VALID scans the table while locking both tables against writes.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter)
      .flatMap((command) => foreignKeys(command.def))
      .filter((constraint) => !constraint.skip_validation)
      .map((constraint) => ({
        message: `Adding foreign key ${constraint.conname ? display(constraint.conname) + ' ' : ''}on ${display(table)} checks every existing row while blocking writes to ${display(table)} and ${display(rangeVarName(constraint.pktable))}.`,
        help: 'Add it with NOT VALID (new rows are checked at once), then run ALTER TABLE ... VALIDATE CONSTRAINT in a later migration, which does not block writes.',
        offset: file.offsetOf(constraint.location),
      }))
  },
}

/** ADD CONSTRAINT ... FOREIGN KEY, or ADD COLUMN ... REFERENCES. */
function foreignKeys(definition: Node | undefined): Constraint[] {
  if (!definition) return []
  if ('Constraint' in definition) return definition.Constraint.contype === 'CONSTR_FOREIGN' ? [definition.Constraint] : []
  if ('ColumnDef' in definition) return (definition.ColumnDef.constraints ?? []).flatMap(foreignKeys)
  return []
}
