import type { AlterTableStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const dropNotNull: Rule = {
  id: 'drop-not-null',
  category: 'breaking',
  defaultSeverity: 'warning',
  summary: 'ALTER COLUMN ... DROP NOT NULL on an existing table: code that reads the column may not expect NULL.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] =>
      command.subtype === 'AT_DropNotNull'
        ? [
            {
              message: `DROP NOT NULL lets ${display(table)}.${display(command.name ?? '')} hold NULL: code (and other services) that read it may assume it never does.`,
              help: 'Make sure every reader handles NULL first (types generated from the schema change too); then accept it with `-- strata:ignore drop-not-null`.',
            },
          ]
        : [],
    )
  },
}
