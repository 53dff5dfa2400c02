/**
 * Setup files: platform objects a scratch database gets before the history is replayed into it (Supabase's
 * roles, `auth`, `storage`, `extensions`), for verify --shadow, diff, check-reverse and plan --trace alike.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StrataError } from '../errors.js'

/** A setup file as read: where it came from, and its SQL. */
export interface SetupFile {
  path: string
  content: string
}

/** Setup files shipped with Strata, usable by name: `--setup supabase`. */
export const BUILTIN_SETUPS: Record<string, string> = {
  supabase: fileURLToPath(new URL('../../setup/supabase.sql', import.meta.url)),
}

/** Read `--setup` files relative to `cwd`; a built-in name (`supabase`) means Strata's own file unless such a file exists. */
export function readSetupFiles(paths: string[], cwd: string): SetupFile[] {
  return paths.map((path) => {
    const builtin = BUILTIN_SETUPS[path]
    const file = resolve(cwd, path)
    try {
      return { path, content: readFileSync(file, 'utf8') }
    } catch (e) {
      if (builtin) return { path: builtin, content: readFileSync(builtin, 'utf8') }
      throw new StrataError('config', `cannot read the setup file ${path}: ${(e as Error).message}`, {
        file: path,
        hint: `give a SQL file to run on the scratch database before the history, or one of: ${Object.keys(BUILTIN_SETUPS).join(', ')}`,
      })
    }
  })
}
