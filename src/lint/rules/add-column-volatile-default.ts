import type { AlterTableStmt, ColumnDef, FuncCall } from '@pgsql/types'
import { forEachNode } from '../nodes.js'
import type { FileFacts } from '../facts.js'
import { type QualifiedName, display, listName, rangeVarName, stringValues } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import { isKnownNonVolatile } from '../stable-functions.js'
import type { Rule } from '../types.js'

// Said plainly in the message; any other function not known to be immutable or stable is reported as "may be volatile".
const VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'gen_random_bytes',
  'random_normal',
])
const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'])

export const addColumnVolatileDefault: Rule = {
  id: 'add-column-volatile-default',
  category: 'locking',
  defaultSeverity: 'warning',
  summary:
    'ADD COLUMN with a volatile default (or serial, identity, stored generated) rewrites the whole table under an ACCESS EXCLUSIVE lock.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command) => {
      if (command.subtype !== 'AT_AddColumn' || !command.def || !('ColumnDef' in command.def)) return []
      const column = command.def.ColumnDef
      const cause = rewriteCause(column, file)
      if (!cause) return []
      return [
        {
          message: `ADD COLUMN ${display(column.colname ?? '')} ${cause}, so PostgreSQL rewrites every row of ${display(table)} while blocking all reads and writes.`,
          help: 'Add the column without a default (or with a constant one), backfill existing rows in batches, then SET DEFAULT for new rows.',
          offset: file.offsetOf(column.location),
        },
      ]
    })
  },
}

function rewriteCause(column: ColumnDef, file: FileFacts): string | undefined {
  const typeName = stringValues(column.typeName?.names).pop()
  if (typeName && SERIAL_TYPES.has(typeName)) return `is ${typeName} (its default is nextval())`
  for (const node of column.constraints ?? []) {
    if (!('Constraint' in node)) continue
    const constraint = node.Constraint
    if (constraint.contype === 'CONSTR_IDENTITY') return 'is an identity column'
    if (constraint.contype === 'CONSTR_GENERATED' && constraint.generated_kind !== 'v') return 'is a stored generated column'
    const call = constraint.contype === 'CONSTR_DEFAULT' ? possiblyVolatile(constraint.raw_expr, file) : undefined
    if (call && VOLATILE.has(call.name)) return `has a volatile default (${display(call)}())`
    if (call) return `has a default that calls ${display(call)}(), which Strata does not know to be immutable or stable`
  }
  return undefined
}

/**
 * The first function call in a default that may return a new value per row: any function but the built-ins
 * known to be immutable or stable (src/lint/stable-functions.ts) and functions this file created as such.
 */
function possiblyVolatile(expression: unknown, file: FileFacts): QualifiedName | undefined {
  let found: QualifiedName | undefined
  forEachNode<FuncCall>(expression, 'FuncCall', (call) => {
    const name = listName(call.funcname)
    if (found || isKnownNonVolatile(name.name, name.schema)) return
    const created = file.createdFunction(name)
    if (created && created.volatility !== 'volatile') return
    found = name
  })
  return found
}
