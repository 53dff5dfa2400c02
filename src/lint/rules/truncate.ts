import type { TruncateStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const truncate: Rule = {
  id: 'truncate',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'TRUNCATE deletes every row of a table.',
  kinds: ['TruncateStmt'],
  check(statement, file) {
    const tables = (inner<TruncateStmt>(statement).relations ?? []).flatMap((relation) =>
      'RangeVar' in relation ? [rangeVarName(relation.RangeVar)] : [],
    )
    const existing = tables.filter((table) => !file.createdTable(table))
    if (existing.length === 0) return []
    return [
      {
        message: `TRUNCATE ${existing.map(display).join(', ')} deletes every row, under an ACCESS EXCLUSIVE lock.`,
        help: 'If the data really must go, keep a backup and accept it with `-- strata:ignore truncate` or run with --allow-destructive.',
      },
    ]
  },
}
