import type { CopyStmt } from '@pgsql/types'
import { inner } from '../objects.js'
import type { Rule } from '../types.js'

/**
 * COPY ... FROM STDIN waits for the client to send rows. psql sends the lines after the statement (pg_dump puts
 * them there, ended by `\.`); Strata sends the file as SQL and has no rows to send. A file with such rows does
 * not parse: the engine lints it again without them (src/lint/copy-data.ts), so this rule reports it at the COPY.
 */
export const copyFromStdin: Rule = {
  id: 'copy-from-stdin',
  category: 'syntax',
  defaultSeverity: 'error',
  summary: 'COPY ... FROM STDIN, which needs psql to send the rows (as in a pg_dump file).',
  kinds: ['CopyStmt'],
  check(statement) {
    const copy = inner<CopyStmt>(statement)
    if (!copy.is_from || copy.filename !== undefined || copy.is_program) return []
    return [
      {
        message:
          'COPY ... FROM STDIN reads its rows from the client: psql sends the lines after it (up to `\\.`), Strata sends only SQL, so this cannot run.',
        help: "Write the rows as INSERT ... VALUES (...) ON CONFLICT DO NOTHING (pg_dump --inserts writes them so); or load the data with psql's `\\copy` outside the migration; or COPY ... FROM '/path/on/the/server.csv', a file on the database server (needs the pg_read_server_files role).",
      },
    ]
  },
}
