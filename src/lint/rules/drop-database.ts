import type { DropdbStmt } from '@pgsql/types'
import { display } from '../names.js'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

export const dropDatabase: Rule = {
  id: 'drop-database',
  category: 'destructive',
  defaultSeverity: 'error',
  summary: 'DROP DATABASE deletes a whole database.',
  kinds: ['DropdbStmt'],
  check(statement) {
    return [
      {
        message: `DROP DATABASE ${display(inner<DropdbStmt>(statement).dbname ?? '')} deletes the database and everything in it; a migration should never need to.`,
        help: 'Drop databases by hand, with a backup; if a migration really must, accept it with `-- strata:ignore drop-database` and run with --allow-destructive.',
      },
    ]
  },
}
