import type { AlterTableStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const dropColumn: Rule = {
  id: 'drop-column',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'ALTER TABLE ... DROP COLUMN deletes the column and its data.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] =>
      command.subtype === 'AT_DropColumn'
        ? [
            {
              message: `DROP COLUMN ${display(command.name ?? '')} deletes the column's data in ${display(table)}; code that still reads or writes it will fail.`,
              help: 'Deploy code that no longer uses the column first, and keep a backup; then accept it with `-- strata:ignore drop-column` or run with --allow-destructive.',
            },
          ]
        : [],
    )
  },
}
