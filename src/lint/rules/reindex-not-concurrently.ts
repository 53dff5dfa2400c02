import type { ReindexStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const reindexNotConcurrently: Rule = {
  id: 'reindex-not-concurrently',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index) while it rebuilds.',
  kinds: ['ReindexStmt'],
  check(statement, file) {
    const reindex = inner<ReindexStmt>(statement)
    const concurrent = (reindex.params ?? []).some((option) => 'DefElem' in option && option.DefElem.defname === 'concurrently')
    // REINDEX SYSTEM has no concurrent form.
    if (concurrent || reindex.kind === 'REINDEX_OBJECT_SYSTEM') return []
    const relation = reindex.relation ? rangeVarName(reindex.relation) : undefined
    if (relation && (file.createdTable(relation) || file.createdEarlier({ type: 'index', ...relation }))) return []
    const what = relation ? display(relation) : display(reindex.name ?? '')
    return [
      {
        message: `REINDEX ${what} takes locks that block every write to the tables (and reads that use the indexes) until the rebuild ends.`,
        help: 'Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), in a file of its own that starts with `-- strata:no-transaction`.',
      },
    ]
  },
}
