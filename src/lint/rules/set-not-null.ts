import type { AlterTableStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const setNotNull: Rule = {
  id: 'set-not-null',
  category: 'locking',
  defaultSeverity: 'warning',
  summary:
    'ALTER COLUMN ... SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, unless a valid CHECK (col IS NOT NULL) proves it.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] => {
      // PostgreSQL 12+ skips the scan when a valid CHECK (col IS NOT NULL) proves it.
      if (command.subtype !== 'AT_SetNotNull' || file.provesNotNull(table, command.name ?? '')) return []
      const column = display(command.name ?? '')
      return [
        {
          message: `SET NOT NULL on ${display(table)}.${column} reads every row while holding an ACCESS EXCLUSIVE lock, blocking all reads and writes.`,
          help: `Add CHECK (${column} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT NULL (PostgreSQL 12+ then skips the scan) and drop the check.`,
        },
      ]
    })
  },
}
