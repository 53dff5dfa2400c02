import type { DropStmt } from '@pgsql/types'
import { display } from '../names.js'
import { droppedObjects, inner } from '../objects.js'
import type { Rule } from '../types.js'

export const dropIndexNotConcurrently: Rule = {
  id: 'drop-index-not-concurrently',
  category: 'locking',
  defaultSeverity: 'warning',
  summary:
    'DROP INDEX without CONCURRENTLY, of an index the file did not create, blocks all reads and writes of its table while it waits and drops.',
  kinds: ['DropStmt'],
  check(statement, file) {
    const drop = inner<DropStmt>(statement)
    if (drop.removeType !== 'OBJECT_INDEX' || drop.concurrent) return []
    const existing = droppedObjects(statement).filter((index) => !file.createdEarlier(index))
    if (!existing.length) return []
    return [
      {
        message: `DROP INDEX ${existing.map(display).join(', ')} takes an ACCESS EXCLUSIVE lock on the table, blocking every read and write (and queueing behind running queries) until it is done.`,
        help: 'Use DROP INDEX CONCURRENTLY IF EXISTS, one index per statement, in a file of its own that starts with `-- strata:no-transaction`.',
      },
    ]
  },
}
