import type { AlterTableStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const validateConstraintSameTransaction: Rule = {
  id: 'validate-constraint-same-transaction',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'VALIDATE CONSTRAINT in the same transaction as its ADD ... NOT VALID: the scan then runs under the lock the add took.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] => {
      if (command.subtype !== 'AT_ValidateConstraint' || !file.addedNotValidInThisTransaction(table, command.name ?? '')) return []
      return [
        {
          message: `VALIDATE CONSTRAINT ${display(command.name ?? '')} runs in the same transaction as the ADD ... NOT VALID above it, so its scan of ${display(table)} holds the ACCESS EXCLUSIVE lock the add took: NOT VALID gains nothing.`,
          help: 'Move VALIDATE CONSTRAINT to a later migration (each file is its own transaction); it then takes only a lock that lets reads and writes go on.',
        },
      ]
    })
  },
}
