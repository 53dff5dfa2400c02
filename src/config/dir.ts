import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** `--dir`, else STRATA_DIR, else core/migrations when it exists, else migrations. */
export function resolveDir(dir: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  if (dir) return dir
  if (env.STRATA_DIR) return env.STRATA_DIR
  return existsSync(join(cwd, 'core/migrations')) ? 'core/migrations' : 'migrations'
}
