import type { RenameStmt } from '@pgsql/types'
import { display, objectWord, rangeVarName } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

const RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'])
const KIND: Record<string, string> = { OBJECT_VIEW: 'view', OBJECT_MATVIEW: 'matview' }

export const renameTableOrColumn: Rule = {
  id: 'rename-table-or-column',
  category: 'breaking',
  defaultSeverity: 'warning',
  summary: 'RENAME of a table, view or column that existed before the file: the application still running uses the old name.',
  kinds: ['RenameStmt'],
  check(statement, file) {
    const rename = inner<RenameStmt>(statement)
    const column = rename.renameType === 'OBJECT_COLUMN'
    const type = column ? rename.relationType : rename.renameType
    if (!RELATIONS.has(type ?? '') || !rename.relation) return []
    const relation = rangeVarName(rename.relation)
    const createdHere = file.createdTable(relation) || file.createdEarlier({ type: KIND[type!] ?? 'table', ...relation })
    if (createdHere) return []
    const what = column
      ? `column ${display(rename.subname ?? '')} of ${display(relation)}`
      : `${objectWord(type).toLowerCase()} ${display(relation)}`
    return [
      {
        message: `Renaming ${what} to ${display(rename.newname ?? '')} breaks every query of the application version still running that uses the old name, from the moment this commits until the new version is deployed.`,
        help: column
          ? 'Expand and contract: add the new column, write both (a trigger or the application), backfill, switch reads, then drop the old column in a later release; or accept the downtime with `-- strata:ignore rename-table-or-column`.'
          : 'Expand and contract: rename, then create a view with the old name (CREATE VIEW old AS SELECT * FROM new) for the running version, and drop it in a later release; or accept it with `-- strata:ignore rename-table-or-column`.',
      },
    ]
  },
}
