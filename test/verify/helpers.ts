/** A project folder with migration files and its own fresh database, driven through the strata CLI. */
import { freshDatabase, type TestDatabase } from '../support/db.js'
import { project, strata, type Run } from '../support/project.js'

export const LEDGER = 'ledger'

export interface Scenario {
  db: TestDatabase
  cwd: string
  /** Run `strata <args> --url <db> --schema ledger` in the project folder. */
  cli(...args: string[]): Promise<Run>
  /** `strata <args> --json`, parsed. */
  json(...args: string[]): Promise<{ code: number; doc: any; stderr: string }>
  sql(text: string): Promise<unknown>
  dispose(): Promise<void>
}

export async function scenario(files: Record<string, string>, dir = 'migrations'): Promise<Scenario> {
  const db = await freshDatabase()
  const cwd = project(Object.fromEntries(Object.entries(files).map(([name, content]) => [`${dir}/${name}`, content])))
  // The ledger gets a schema of its own name: the test server's user is called strata, and "$user" comes first in
  // the default search_path, so a ledger schema called strata would also receive every unqualified table.
  const cli = (...args: string[]) => strata([...args, '--url', db.url, '--schema', LEDGER], { cwd })
  return {
    db,
    cwd,
    cli,
    async json(...args) {
      const run = await cli(...args, '--json')
      try {
        return { code: run.code, doc: JSON.parse(run.stdout), stderr: run.stderr }
      } catch {
        throw new Error(`strata ${args.join(' ')} --json did not print one JSON document:\n${run.stdout}\n${run.stderr}`)
      }
    },
    sql: (text) => db.sql.unsafe(text),
    dispose: () => db.drop(),
  }
}
