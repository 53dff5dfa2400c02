import type { LockStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

// LockStmt.mode numbers, as in PostgreSQL's lockdefs.h: from SHARE (5) up, a lock blocks writes.
const MODES = [
  '',
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
]
const SHARE = 5
const ACCESS_EXCLUSIVE = 8

export const lockTable: Rule = {
  id: 'lock-table',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'LOCK TABLE in a mode that blocks writes (SHARE and stronger), held until the file commits.',
  kinds: ['LockStmt'],
  check(statement, file) {
    const lock = inner<LockStmt>(statement)
    const mode = lock.mode ?? ACCESS_EXCLUSIVE
    if (mode < SHARE) return []
    const tables = (lock.relations ?? [])
      .flatMap((relation) => ('RangeVar' in relation ? [rangeVarName(relation.RangeVar)] : []))
      .filter((table) => !file.createdTable(table))
    if (!tables.length) return []
    const blocks = mode === ACCESS_EXCLUSIVE ? 'every read and write' : 'every write'
    return [
      {
        message: `LOCK TABLE ${tables.map(display).join(', ')} IN ${MODES[mode]} MODE blocks ${blocks} of the table from here until the migration commits.`,
        help: 'Take no explicit lock: each statement takes the lock it needs, for as short a time as it can, and Strata sets lock_timeout so that a statement waiting behind a long query fails instead of blocking others; or accept it with `-- strata:ignore lock-table`.',
      },
    ]
  },
}
