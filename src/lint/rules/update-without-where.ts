import type { UpdateStmt } from '@pgsql/types'
import { dataModifications } from '../ast.js'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const updateWithoutWhere: Rule = {
  id: 'update-without-where',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'UPDATE without a WHERE clause overwrites every row of the table.',
  kinds: ['UpdateStmt', 'SelectStmt', 'InsertStmt', 'DeleteStmt'],
  check(statement, file) {
    return dataModifications<UpdateStmt>(statement, 'UpdateStmt')
      .filter((update) => !update.whereClause && !file.createdTable(rangeVarName(update.relation)))
      .map((update) => ({
        message: `UPDATE ${display(rangeVarName(update.relation))} has no WHERE clause, so it overwrites every row (and locks them all).`,
        help: 'Add a WHERE clause for the rows you mean; for a deliberate backfill of a large table, update in batches and accept it with `-- strata:ignore update-without-where`.',
        offset: update === inner(statement) ? undefined : file.offsetOf(update.relation?.location),
      }))
  },
}
