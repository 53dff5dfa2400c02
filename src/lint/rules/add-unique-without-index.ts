import type { AlterTableStmt, Constraint } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

const KIND: Record<string, string> = { CONSTR_UNIQUE: 'UNIQUE', CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_EXCLUSION: 'EXCLUDE' }

export const addUniqueWithoutIndex: Rule = {
  id: 'add-unique-without-index',
  category: 'locking',
  defaultSeverity: 'warning',
  summary:
    'A UNIQUE, PRIMARY KEY or EXCLUDE constraint added to an existing table builds its index while blocking all reads and writes; UNIQUE and PRIMARY KEY can take an index built CONCURRENTLY instead (USING INDEX).',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] => {
      const constraints: Constraint[] = []
      if (command.subtype === 'AT_AddConstraint' && command.def && 'Constraint' in command.def) constraints.push(command.def.Constraint)
      if (command.subtype === 'AT_AddColumn' && command.def && 'ColumnDef' in command.def) {
        for (const node of command.def.ColumnDef.constraints ?? []) if ('Constraint' in node) constraints.push(node.Constraint)
      }
      return constraints
        .filter((constraint) => KIND[constraint.contype ?? ''] && !constraint.indexname)
        .map((constraint) => report(constraint, display(table), file.offsetOf(constraint.location)))
    })
  },
}

function report(constraint: Constraint, table: string, offset: number | undefined): Report {
  const kind = KIND[constraint.contype!]!
  const name = constraint.conname ? ` ${display(constraint.conname)}` : ''
  const message = `Adding ${kind}${name} to ${table} builds an index over the whole table while holding an ACCESS EXCLUSIVE lock that blocks all reads and writes.`
  if (kind === 'EXCLUDE') {
    return {
      message,
      help: 'An EXCLUDE constraint cannot use an existing index: add it while the table is small or in a maintenance window, and accept it with `-- strata:ignore add-unique-without-index`.',
      offset,
    }
  }
  return {
    message,
    help: `Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (a no-transaction file), then ALTER TABLE ${table} ADD CONSTRAINT <name> ${kind} USING INDEX <index>, which is instant.`,
    offset,
  }
}
