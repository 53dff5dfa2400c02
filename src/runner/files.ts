/**
 * Migration files on disk, read synchronously: the folder reader of folder.ts driven to its end at once, with
 * every layout's reader at hand. `migrate` and `status` use folder.ts's `readHistoryMeanwhile` instead, which
 * loads another tool's reader only for a folder that is one.
 */
import { readLayout, type LayoutName } from '../layouts/index.js'
import type { MigrationFile } from './file-format.js'
import { migrationReader, readHistoryMeanwhile, WANTS_LAYOUTS, type History } from './folder.js'

export { resolveDir } from '../config/dir.js'
export { readHistoryMeanwhile, type History }

/**
 * Read every migration in `dir`, sorted by version. In Strata's layout bad names are errors, never skipped.
 * `layout`: the tool whose folder this is (undefined: detect it, else Strata's own).
 */
export function readMigrations(dir: string, cwd = process.cwd(), layout?: LayoutName): MigrationFile[] {
  return readHistory(dir, cwd, layout).files
}

export function readHistory(dir: string, cwd = process.cwd(), layout?: LayoutName): History {
  const reading = migrationReader(dir, cwd, layout)
  for (let step = reading.next(); ;) {
    if (step.done) return step.value
    step = reading.next(step.value === WANTS_LAYOUTS ? readLayout : undefined)
  }
}
