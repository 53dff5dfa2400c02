import type { AlterTableStmt, DropStmt } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import type { FileFacts } from '../facts.js'
import { display, objectWord, rangeVarName } from '../names.js'
import { alterTableCommands, droppedObjects, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const requireIfExists: Rule = {
  id: 'require-if-exists',
  category: 'idempotency',
  defaultSeverity: 'error',
  summary: 'DROP ... (and ALTER TABLE ... DROP COLUMN/CONSTRAINT) without IF EXISTS.',
  kinds: ['DropStmt', 'DropRoleStmt', 'AlterTableStmt'],
  check(statement, file) {
    if (statement.kind === 'AlterTableStmt') return alterTableDrops(statement, file)
    if (inner<{ missing_ok?: boolean }>(statement).missing_ok) return []
    const objects = droppedObjects(statement)
    // Dropping what this file created a moment ago always finds it.
    if (objects.length > 0 && objects.every((object) => file.createdEarlier(object))) return []
    const what = statement.kind === 'DropRoleStmt' ? 'ROLE' : objectWord(inner<DropStmt>(statement).removeType)
    const names = objects.map(display).join(', ')
    return [
      {
        message: `DROP ${what} ${names} fails when it does not exist, so the migration cannot run again after a partial failure.`,
        help: `Use DROP ${what} IF EXISTS ${names}.`,
      },
    ]
  },
}

function alterTableDrops(statement: Statement, file: FileFacts): Report[] {
  const alter = inner<AlterTableStmt>(statement)
  const table = rangeVarName(alter.relation)
  return alterTableCommands(alter).flatMap((command): Report[] => {
    if (command.missing_ok) return []
    const what = command.subtype === 'AT_DropColumn' ? 'column' : command.subtype === 'AT_DropConstraint' ? 'constraint' : undefined
    if (!what || file.createdEarlier({ type: what, name: command.name ?? '', table })) return []
    const name = display(command.name ?? '')
    return [
      {
        message: `DROP ${what.toUpperCase()} ${name} fails when ${display(table)} has no such ${what}, so the migration cannot run again.`,
        help: `Use ALTER TABLE ${display(table)} DROP ${what.toUpperCase()} IF EXISTS ${name}.`,
      },
    ]
  })
}
