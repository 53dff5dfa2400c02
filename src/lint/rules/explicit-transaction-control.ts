import type { TransactionStmt, TransactionStmtKind } from '@pgsql/types'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

// Savepoints nest inside Strata's transaction and are harmless; these end or replace it.
const CONTROL: Partial<Record<TransactionStmtKind, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
}

export const explicitTransactionControl: Rule = {
  id: 'explicit-transaction-control',
  category: 'transaction',
  defaultSeverity: 'error',
  summary: 'BEGIN/COMMIT/ROLLBACK inside a migration file, which Strata already runs in a transaction.',
  kinds: ['TransactionStmt'],
  check(statement) {
    const what = CONTROL[inner<TransactionStmt>(statement).kind ?? 'TRANS_STMT_SAVEPOINT']
    if (!what) return []
    return [
      {
        message: `${what} inside a migration file ends or disturbs the transaction Strata runs the file in, so the file and its ledger row are no longer applied all or nothing.`,
        help: 'Remove it: Strata wraps each file in a transaction (and --single-transaction wraps them all). For statements that cannot run in one, use `-- strata:no-transaction`.',
      },
    ]
  },
}
