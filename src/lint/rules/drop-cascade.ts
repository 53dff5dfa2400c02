import type { AlterTableStmt, DropStmt, TruncateStmt } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import type { FileFacts } from '../facts.js'
import { display, objectWord } from '../names.js'
import { alterTableCommands, droppedObjects, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

const HELP = 'Drop the dependent objects explicitly (so the migration says what goes), then drop without CASCADE.'

export const dropCascade: Rule = {
  id: 'drop-cascade',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'DROP ... CASCADE also drops every object that depends on the target, silently.',
  kinds: ['DropStmt', 'AlterTableStmt', 'TruncateStmt'],
  check(statement, file) {
    if (statement.kind === 'AlterTableStmt') return alterTableCascades(statement)
    if (statement.kind === 'TruncateStmt') {
      if (inner<TruncateStmt>(statement).behavior !== 'DROP_CASCADE') return []
      return [
        {
          message: 'TRUNCATE ... CASCADE also empties every table with a foreign key to these tables.',
          help: 'Name every table to empty instead of CASCADE.',
        },
      ]
    }
    return dropCascades(statement, file)
  },
}

function dropCascades(statement: Statement, file: FileFacts): Report[] {
  const drop = inner<DropStmt>(statement)
  if (drop.behavior !== 'DROP_CASCADE') return []
  const objects = droppedObjects(statement)
  // Whatever depends on an object this file created was created by this file too.
  if (objects.length > 0 && objects.every((object) => file.createdEarlier(object))) return []
  return [
    {
      message: `DROP ${objectWord(drop.removeType)} ${objects.map(display).join(', ')} CASCADE also drops every view, constraint, trigger or other object that depends on it, without naming them.`,
      help: HELP,
    },
  ]
}

function alterTableCascades(statement: Statement): Report[] {
  return alterTableCommands(inner<AlterTableStmt>(statement)).flatMap((command): Report[] => {
    if (command.behavior !== 'DROP_CASCADE') return []
    const what = command.subtype === 'AT_DropColumn' ? 'COLUMN' : 'CONSTRAINT'
    return [
      {
        message: `DROP ${what} ${display(command.name ?? '')} CASCADE also drops the views, indexes and constraints that depend on it, without naming them.`,
        help: HELP,
      },
    ]
  })
}
