import type { CreateFunctionStmt, ViewStmt } from '@pgsql/types'
import { display } from '../names.js'
import { createdObject, inner } from '../objects.js'
import type { Rule } from '../types.js'

export const requireOrReplace: Rule = {
  id: 'require-or-replace',
  category: 'idempotency',
  defaultSeverity: 'error',
  summary: 'CREATE FUNCTION/PROCEDURE/VIEW without OR REPLACE.',
  kinds: ['CreateFunctionStmt', 'ViewStmt'],
  check(statement, file) {
    const node = inner<CreateFunctionStmt & ViewStmt>(statement)
    const object = createdObject(statement)
    if (node.replace || !object || file.droppedEarlier(object)) return []
    const what = statement.kind === 'ViewStmt' ? 'VIEW' : node.is_procedure ? 'PROCEDURE' : 'FUNCTION'
    const help =
      what === 'VIEW'
        ? `Use CREATE OR REPLACE VIEW ${display(object)} (it may only add columns at the end), or DROP VIEW IF EXISTS first.`
        : `Use CREATE OR REPLACE ${what} ${display(object)}.`
    return [{ message: `CREATE ${what} ${display(object)} fails when it already exists, so the migration cannot run again.`, help }]
  },
}
