import type { AlterTableStmt, ColumnDef } from '@pgsql/types'
import { typeRef, type TypeRef } from '../../verify/sql-names.js'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const alterColumnType: Rule = {
  id: 'alter-column-type',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'ALTER COLUMN ... TYPE rewrites the table under an exclusive lock and can lose or reject data.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (alter.objtype !== 'OBJECT_TABLE' || file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] => {
      if (command.subtype !== 'AT_AlterColumnType') return []
      const def = command.def && 'ColumnDef' in command.def ? command.def.ColumnDef : undefined
      // Widening varchar/varbit/numeric is done in place, without a rewrite: no finding.
      if (def && widensInPlace(file.columnType(table, command.name ?? ''), def)) return []
      return [
        {
          message: `Changing the type of ${display(table)}.${display(command.name ?? '')} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and the conversion can fail or lose precision; clients expecting the old type may break.`,
          help: 'Add a new column with the new type, backfill it in batches, switch the code over, then drop the old column; or accept it with `-- strata:ignore alter-column-type`. (Widening varchar(n), varbit(n) or numeric precision is no finding: Postgres does that in place.)',
        },
      ]
    })
  },
}

const BASE: Record<string, string> = { varchar: 'varchar', text: 'text', varbit: 'varbit', numeric: 'numeric', decimal: 'numeric' }

/**
 * Whether Postgres changes the type without rewriting the table: varchar(n) to varchar(m >= n), varchar or
 * text; text to varchar; varbit(n) to varbit(m >= n) or varbit; numeric(p, s) to numeric(q >= p, s) or numeric.
 * Only when the old type is known (from this file, or from the history before it) and there is no USING or COLLATE.
 */
export function widensInPlace(from: TypeRef | undefined, def: ColumnDef): boolean {
  const to = typeRef(def.typeName)
  if (!from || !to || def.raw_default || def.collClause || from.baseOnly || to.baseOnly || from.arrayDims !== to.arrayDims) return false
  const [a, b] = [baseOf(from), baseOf(to)]
  const wider = (x?: number, y?: number) => y === undefined || (x !== undefined && y >= x)
  if (a === 'varchar' || a === 'text')
    return b === 'text' || (b === 'varchar' && (a === 'text' ? !to.mods : wider(from.mods?.[0], to.mods?.[0])))
  if (a === 'varbit') return b === 'varbit' && wider(from.mods?.[0], to.mods?.[0])
  if (a === 'numeric' && b === 'numeric')
    return !to.mods || (!!from.mods && to.mods[0]! >= from.mods[0]! && (to.mods[1] ?? 0) === (from.mods[1] ?? 0))
  return false
}

function baseOf(t: TypeRef): string | undefined {
  return !t.schema || t.schema === 'pg_catalog' ? BASE[t.name.toLowerCase()] : undefined
}
