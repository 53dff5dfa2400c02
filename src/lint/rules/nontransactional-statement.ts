import type { ClusterStmt, Node, CreateSubscriptionStmt, DropStmt, IndexStmt, ReindexStmt, VacuumStmt } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import { objectWord } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

/** What the statement is called, when it cannot run inside a transaction block (also src/runner/run-mode.ts). */
export function nontransactional(statement: Statement): string | undefined {
  switch (statement.kind) {
    case 'IndexStmt':
      return inner<IndexStmt>(statement).concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined
    case 'DropStmt': {
      const drop = inner<DropStmt>(statement)
      return drop.concurrent ? `DROP ${objectWord(drop.removeType)} CONCURRENTLY` : undefined
    }
    case 'ReindexStmt':
      return hasOption(inner<ReindexStmt>(statement).params, 'concurrently') ? 'REINDEX CONCURRENTLY' : undefined
    case 'VacuumStmt':
      // ANALYZE alone is fine in a transaction; VACUUM is not.
      return inner<VacuumStmt>(statement).is_vacuumcmd ? 'VACUUM' : undefined
    case 'ClusterStmt':
      return inner<ClusterStmt>(statement).relation ? undefined : 'CLUSTER without a table'
    case 'CreateSubscriptionStmt':
      return createsSlot(inner<CreateSubscriptionStmt>(statement)) ? 'CREATE SUBSCRIPTION (creating a slot)' : undefined
    default:
      return ALWAYS[statement.kind]
  }
}

const ALWAYS: Record<string, string> = {
  AlterSystemStmt: 'ALTER SYSTEM',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  DropSubscriptionStmt: 'DROP SUBSCRIPTION',
}

function hasOption(options: Node[] | undefined, name: string): boolean {
  return (options ?? []).some((option) => 'DefElem' in option && option.DefElem.defname === name)
}

function createsSlot(subscription: CreateSubscriptionStmt): boolean {
  const option = (subscription.options ?? []).find((node) => 'DefElem' in node && node.DefElem.defname === 'create_slot')
  if (!option || !('DefElem' in option)) return true
  const value = option.DefElem.arg && 'String' in option.DefElem.arg ? option.DefElem.arg.String.sval : 'true'
  return !['false', 'off', '0'].includes((value ?? '').toLowerCase())
}

export const nontransactionalStatement: Rule = {
  id: 'nontransactional-statement',
  category: 'transaction',
  defaultSeverity: 'error',
  summary: 'A statement that cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...) in a file Strata runs in one.',
  kinds: ['IndexStmt', 'DropStmt', 'ReindexStmt', 'VacuumStmt', 'ClusterStmt', 'CreateSubscriptionStmt', ...Object.keys(ALWAYS)],
  check(statement, file) {
    if (file.noTransaction) return []
    const what = nontransactional(statement)
    // Alone in its file it runs without a transaction, as psql runs it (src/runner/run-mode.ts).
    if (!what || file.isOnlyStatement(statement)) return []
    return [
      {
        message: `${what} cannot run inside a transaction block, and Strata runs this file in one.`,
        help: 'Move it to a file of its own: alone there, Strata runs it without a transaction. For several such statements in one file, make its first line `-- strata:no-transaction`; Strata then runs it statement by statement.',
      },
    ]
  },
}
