/** A file's text as the statements the server would run, split by Postgres's own parser (loaded on first use). */
import type { StatementText } from '../sql/index.js'

export async function statementsOf(text: string): Promise<StatementText[]> {
  const { splitStatements } = await import('../sql/index.js') // the parser loads only for files that need splitting
  return splitStatements(text)
}
