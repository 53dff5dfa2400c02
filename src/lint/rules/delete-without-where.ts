import type { DeleteStmt } from '@pgsql/types'
import { runModifications } from '../ast.js'
import { display, rangeVarName } from '../names.js'
import type { Rule } from '../types.js'

export const deleteWithoutWhere: Rule = {
  id: 'delete-without-where',
  category: 'destructive',
  defaultSeverity: 'error',
  summary:
    'DELETE without a WHERE clause deletes every row of the table (also inside a DO block, or a function the file creates and calls).',
  kinds: ['DeleteStmt', 'SelectStmt', 'InsertStmt', 'UpdateStmt', 'DoStmt', 'CallStmt'],
  check(statement, file) {
    return runModifications<DeleteStmt>(statement, file, 'DeleteStmt')
      .filter(({ node }) => !node.whereClause && !file.createdTable(rangeVarName(node.relation)))
      .map(({ node, offset, end, within, via }) => ({
        message: `DELETE FROM ${display(rangeVarName(node.relation))}${via ? ` in ${via}` : ''} has no WHERE clause, so it deletes every row.`,
        help: 'Add a WHERE clause for the rows you mean; if every row must go, keep a backup and accept it with `-- strata:ignore delete-without-where`.',
        offset,
        end,
        within,
      }))
  },
}
