import type { ClusterStmt, VacuumStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

const OFF = new Set(['false', 'off', '0'])

export const vacuumFullOrCluster: Rule = {
  id: 'vacuum-full-or-cluster',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'VACUUM FULL and CLUSTER rewrite tables under an ACCESS EXCLUSIVE lock, blocking all reads and writes while they run.',
  kinds: ['VacuumStmt', 'ClusterStmt'],
  check(statement, file) {
    const what = statement.kind === 'ClusterStmt' ? 'CLUSTER' : 'VACUUM FULL'
    const tables =
      statement.kind === 'ClusterStmt' ? [inner<ClusterStmt>(statement).relation] : vacuumFullTables(inner<VacuumStmt>(statement))
    if (!tables) return []
    const existing = tables.map(rangeVarName).filter((table) => !table.name || !file.createdTable(table))
    if (tables.length && !existing.length) return []
    const target = existing.some((table) => table.name) ? existing.map(display).join(', ') : 'every table of the database'
    return [
      {
        message: `${what} rewrites ${target} while holding an ACCESS EXCLUSIVE lock: nothing can read or write it until the rewrite ends.`,
        help: 'Rewrite without blocking with pg_repack (or REPACK ... CONCURRENTLY, PostgreSQL 19+) outside the migration; plain VACUUM reclaims space for reuse without locking.',
      },
    ]
  },
}

/** The tables of a VACUUM with FULL on (an empty list for the whole database), or undefined when it is not FULL. */
function vacuumFullTables(vacuum: VacuumStmt): (ClusterStmt['relation'] | undefined)[] | undefined {
  if (!vacuum.is_vacuumcmd) return undefined
  const full = (vacuum.options ?? []).find((option) => 'DefElem' in option && option.DefElem.defname === 'full')
  if (!full || !('DefElem' in full)) return undefined
  const arg = full.DefElem.arg
  const value = arg && 'String' in arg ? arg.String.sval : arg && 'Integer' in arg ? String(arg.Integer.ival ?? 0) : 'true'
  if (OFF.has((value ?? '').toLowerCase())) return undefined
  return (vacuum.rels ?? []).flatMap((rel) => ('VacuumRelation' in rel ? [rel.VacuumRelation.relation] : []))
}
