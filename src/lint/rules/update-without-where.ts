import type { UpdateStmt } from '@pgsql/types'
import { runModifications } from '../ast.js'
import { display, rangeVarName } from '../names.js'
import type { Rule } from '../types.js'

export const updateWithoutWhere: Rule = {
  id: 'update-without-where',
  category: 'destructive',
  defaultSeverity: 'error',
  summary:
    'UPDATE without a WHERE clause overwrites every row of the table (also inside a DO block, or a function the file creates and calls).',
  kinds: ['UpdateStmt', 'SelectStmt', 'InsertStmt', 'DeleteStmt', 'DoStmt', 'CallStmt'],
  check(statement, file) {
    return runModifications<UpdateStmt>(statement, file, 'UpdateStmt')
      .filter(({ node }) => !node.whereClause && !file.createdTable(rangeVarName(node.relation)))
      .map(({ node, offset, end, within, via }) => ({
        message: `UPDATE ${display(rangeVarName(node.relation))}${via ? ` in ${via}` : ''} has no WHERE clause, so it overwrites every row (and locks them all).`,
        help: 'Add a WHERE clause for the rows you mean; for a deliberate backfill of a large table, update in batches and accept it with `-- strata:ignore update-without-where`.',
        offset,
        end,
        within,
      }))
  },
}
