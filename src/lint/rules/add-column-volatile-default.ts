import type { AlterTableStmt, ColumnDef, FuncCall } from '@pgsql/types'
import { someNode } from '../ast.js'
import { display, rangeVarName, stringValues } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Rule } from '../types.js'

// Volatile built-ins commonly used as defaults. Unknown functions are not reported: their volatility is unknown here.
const VOLATILE_FUNCTIONS = new Set([
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
      const cause = rewriteCause(column)
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

function rewriteCause(column: ColumnDef): string | undefined {
  const typeName = stringValues(column.typeName?.names).pop()
  if (typeName && SERIAL_TYPES.has(typeName)) return `is ${typeName} (its default is nextval())`
  for (const node of column.constraints ?? []) {
    if (!('Constraint' in node)) continue
    const constraint = node.Constraint
    if (constraint.contype === 'CONSTR_IDENTITY') return 'is an identity column'
    if (constraint.contype === 'CONSTR_GENERATED' && constraint.generated_kind !== 'v') return 'is a stored generated column'
    if (constraint.contype === 'CONSTR_DEFAULT' && someNode<FuncCall>(constraint.raw_expr, 'FuncCall', isVolatileCall)) {
      return 'has a volatile default'
    }
  }
  return undefined
}

function isVolatileCall(call: FuncCall): boolean {
  return VOLATILE_FUNCTIONS.has(stringValues(call.funcname).pop() ?? '')
}
