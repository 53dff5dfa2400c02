import type { DropStmt } from '@pgsql/types'
import { display } from '../names.js'
import { droppedObjects, inner } from '../objects.js'
import type { Rule } from '../types.js'

export const dropTable: Rule = {
  id: 'drop-table',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'DROP TABLE deletes a table and every row in it.',
  kinds: ['DropStmt'],
  check(statement, file) {
    if (inner<DropStmt>(statement).removeType !== 'OBJECT_TABLE') return []
    return droppedObjects(statement)
      .filter((table) => !file.createdTable(table))
      .map((table) => ({
        message: `DROP TABLE ${display(table)} deletes the table and all its rows; code that still uses it will fail.`,
        help: 'Stop using the table in the application first and keep a backup; then accept it with `-- strata:ignore drop-table` above the statement, or run with --allow-destructive.',
      }))
  },
}
