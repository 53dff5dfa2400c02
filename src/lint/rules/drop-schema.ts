import type { DropStmt } from '@pgsql/types'
import { display } from '../names.js'
import { droppedObjects, inner } from '../objects.js'
import type { Rule } from '../types.js'

export const dropSchema: Rule = {
  id: 'drop-schema',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'DROP SCHEMA deletes a schema (with CASCADE, everything in it).',
  kinds: ['DropStmt'],
  check(statement, file) {
    if (inner<DropStmt>(statement).removeType !== 'OBJECT_SCHEMA') return []
    return droppedObjects(statement)
      .filter((schema) => !file.createdEarlier(schema))
      .map((schema) => ({
        message: `DROP SCHEMA ${display(schema)} deletes the schema${inner<DropStmt>(statement).behavior === 'DROP_CASCADE' ? ' and every table, function and row in it' : ''}.`,
        help: 'Make sure nothing uses the schema and keep a backup; then accept it with `-- strata:ignore drop-schema` or run with --allow-destructive.',
      }))
  },
}
