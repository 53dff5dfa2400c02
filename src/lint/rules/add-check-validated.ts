import type { AlterDomainStmt, AlterTableStmt } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import type { FileFacts } from '../facts.js'
import { display, listName, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const addCheckValidated: Rule = {
  id: 'add-check-validated',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'A CHECK constraint added to an existing table or domain without NOT VALID scans every row under a lock that blocks writes.',
  kinds: ['AlterTableStmt', 'AlterDomainStmt'],
  check(statement, file) {
    return statement.kind === 'AlterDomainStmt' ? domainCheck(statement, file) : tableChecks(statement, file)
  },
}

function tableChecks(statement: Statement, file: FileFacts): Report[] {
  const alter = inner<AlterTableStmt>(statement)
  const table = rangeVarName(alter.relation)
  if (file.createdTable(table)) return []
  return alterTableCommands(alter).flatMap((command): Report[] => {
    if (command.subtype !== 'AT_AddConstraint' || !command.def || !('Constraint' in command.def)) return []
    const constraint = command.def.Constraint
    if (constraint.contype !== 'CONSTR_CHECK' || constraint.skip_validation) return []
    const name = constraint.conname ? `${display(constraint.conname)} ` : ''
    return [
      {
        message: `Adding CHECK constraint ${name}to ${display(table)} reads every row to check it, while holding an ACCESS EXCLUSIVE lock that blocks all reads and writes.`,
        help: 'Add it with NOT VALID (new rows are checked at once), then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration, which lets reads and writes go on.',
        offset: file.offsetOf(constraint.location),
      },
    ]
  })
}

// ALTER DOMAIN ... ADD CONSTRAINT checks every column of every table that uses the domain.
function domainCheck(statement: Statement, file: FileFacts): Report[] {
  const alter = inner<AlterDomainStmt>(statement)
  const domain = listName(alter.typeName)
  const constraint = alter.def && 'Constraint' in alter.def ? alter.def.Constraint : undefined
  if (alter.subtype !== 'C' || !constraint || constraint.skip_validation || file.createdEarlier({ type: 'type', ...domain })) return []
  return [
    {
      message: `Adding a constraint to domain ${display(domain)} checks every column of every table that uses it, under locks that block writes to those tables.`,
      help: 'Add it with NOT VALID, then ALTER DOMAIN ... VALIDATE CONSTRAINT in a later migration.',
      offset: file.offsetOf(constraint.location),
    },
  ]
}
