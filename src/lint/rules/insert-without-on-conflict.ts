import type { BoolExpr, InsertStmt, Node } from '@pgsql/types'
import { someNode } from '../nodes.js'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const insertWithoutOnConflict: Rule = {
  id: 'insert-without-on-conflict',
  category: 'idempotency',
  defaultSeverity: 'warning',
  summary: 'INSERT without ON CONFLICT (or a NOT EXISTS guard) adds the rows again when the migration re-runs.',
  kinds: ['InsertStmt'],
  check(statement, file) {
    const insert = inner<InsertStmt>(statement)
    const table = rangeVarName(insert.relation)
    if (insert.onConflictClause || selectsOnlyMissingRows(insert.selectStmt)) return []
    if (file.droppedEarlier({ type: 'table', ...table })) return []
    return [
      {
        message: `INSERT INTO ${display(table)} adds its rows again (or fails on a unique key) when the migration re-runs.`,
        help: 'Add ON CONFLICT DO NOTHING (or DO UPDATE), or insert with SELECT ... WHERE NOT EXISTS (...).',
      },
    ]
  },
}

/** INSERT ... SELECT ... WHERE NOT EXISTS (...) / NOT IN (...) only inserts what is not there yet. */
function selectsOnlyMissingRows(select: Node | undefined): boolean {
  if (!select || !('SelectStmt' in select)) return false
  const where = select.SelectStmt.whereClause
  return someNode<BoolExpr>(where, 'BoolExpr', (bool) => bool.boolop === 'NOT_EXPR' && someNode(bool.args, 'SubLink', () => true))
}
