import type { IndexStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const createIndexNotConcurrently: Rule = {
  id: 'create-index-not-concurrently',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'CREATE INDEX without CONCURRENTLY on a table this file did not create blocks writes while the index builds.',
  kinds: ['IndexStmt'],
  check(statement, file) {
    const index = inner<IndexStmt>(statement)
    const table = rangeVarName(index.relation)
    // ON ONLY builds nothing: it adds an invalid index to a partitioned parent, which cannot be built concurrently.
    if (index.concurrent || !index.relation?.inh || file.createdTable(table)) return []
    return [
      {
        message: `CREATE INDEX on ${display(table)} blocks every INSERT, UPDATE and DELETE on the table until the index is built.`,
        help: 'Use CREATE INDEX CONCURRENTLY, in a file of its own that starts with `-- strata:no-transaction`.',
      },
    ]
  },
}
