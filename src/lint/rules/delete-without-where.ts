import type { DeleteStmt } from '@pgsql/types'
import { dataModifications } from '../ast.js'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const deleteWithoutWhere: Rule = {
  id: 'delete-without-where',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'DELETE without a WHERE clause deletes every row of the table.',
  kinds: ['DeleteStmt', 'SelectStmt', 'InsertStmt', 'UpdateStmt'],
  check(statement, file) {
    return dataModifications<DeleteStmt>(statement, 'DeleteStmt')
      .filter((remove) => !remove.whereClause && !file.createdTable(rangeVarName(remove.relation)))
      .map((remove) => ({
        message: `DELETE FROM ${display(rangeVarName(remove.relation))} has no WHERE clause, so it deletes every row.`,
        help: 'Add a WHERE clause for the rows you mean; if every row must go, keep a backup and accept it with `-- strata:ignore delete-without-where`.',
        // A DELETE/UPDATE nested in a WITH clause is pointed at; a plain one is the whole statement.
        offset: remove === inner(statement) ? undefined : file.offsetOf(remove.relation?.location),
      }))
  },
}
