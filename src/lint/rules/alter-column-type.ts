import type { AlterTableStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const alterColumnType: Rule = {
  id: 'alter-column-type',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'ALTER COLUMN ... TYPE rewrites the table under an exclusive lock and can lose or reject data.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (alter.objtype !== 'OBJECT_TABLE' || file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] =>
      command.subtype === 'AT_AlterColumnType'
        ? [
            {
              message: `Changing the type of ${display(table)}.${display(command.name ?? '')} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and the conversion can fail or lose precision; clients expecting the old type may break.`,
              help: 'Add a new column with the new type, backfill it in batches, switch the code over, then drop the old column; or accept it with `-- strata:ignore alter-column-type`.',
            },
          ]
        : [],
    )
  },
}
