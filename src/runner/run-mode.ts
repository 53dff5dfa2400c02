/**
 * How a pending file runs when no directive of its own says so, decided the way the tools a history comes
 * from decide it:
 *   - a file whose only statement cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM, … as lint's
 *     nontransactional-statement knows them) runs alone, without one, as psql, Prisma and Flyway run it;
 *   - a file that holds its own BEGIN / COMMIT / ROLLBACK runs statement by statement, so that its transaction
 *     is the one it wrote (lint reports explicit-transaction-control for new work; an adopted history ran so).
 * Both run on the no-transaction path (a claimed `running` row, progress, `failed` on error) and their event
 * records the mode and why. The parser loads only for files whose text mentions such a statement.
 */
import { normalize, type MigrationFile } from './file-format.js'

const MAYBE =
  /\b(concurrently|vacuum|alter\s+system|(create|drop)\s+(database|tablespace|subscription)|cluster|commit|rollback|abort|start\s+transaction|begin\s*;|begin\s+(transaction|work|isolation))\b/i
const CONTROL = /^\s*(begin|start|commit|end|rollback|abort)\b(?!\s+to\b)/i

export async function decideRunModes(files: MigrationFile[]): Promise<void> {
  for (const file of files) {
    if (file.noTransaction || !MAYBE.test(file.content)) continue
    const { statementsOf } = await import('./execute.js')
    const statements = await statementsOf(normalize(file.content))
    if (statements.length === 1) {
      const what = await nontransactionalKind(statements[0].text)
      if (what) Object.assign(file, { noTransaction: true, modeReason: `its only statement, ${what}, cannot run in a transaction` })
    } else if (statements.some((s) => s.kind === 'TransactionStmt' && CONTROL.test(s.text))) {
      Object.assign(file, { noTransaction: true, ownTransaction: true, modeReason: 'it holds its own BEGIN … COMMIT' })
    }
  }
}

/** What lint's nontransactional-statement calls this statement, when it cannot run in a transaction block. */
async function nontransactionalKind(text: string): Promise<string | undefined> {
  const [{ parseSql }, { nontransactional }] = await Promise.all([
    import('../sql/index.js'),
    import('../lint/rules/nontransactional-statement.js'),
  ])
  const statement = (await parseSql(text)).statements[0]
  return statement && nontransactional(statement)
}
