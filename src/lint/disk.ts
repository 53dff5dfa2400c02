/**
 * The lint configuration of a project on disk: rule settings, and the two things rules may look up besides the
 * file they check (whether its down file exists; the files before it, read only when a rule asks). Built the
 * same way by `strata lint` and by `migrate`'s lint step.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { readMigrationText } from '../runner/file-format.js'
import { earlierOnDisk } from './history.js'
import type { EarlierFiles, Source } from './history.js'
import type { LintConfig, SeveritySetting } from './types.js'

/**
 * `known`: sources already read; earlier files among them are not read again. `history`: the migration history
 * in the order the runner applies it (any layout), when the caller has read it; for a file outside it, the files
 * before it are the numbered files beside it.
 */
export function lintConfigOnDisk(
  cwd: string,
  rules: Record<string, SeveritySetting>,
  known: Source[] = [],
  history?: readonly Source[],
): LintConfig {
  const contents = new Map(known.map((source) => [source.path, source.content]))
  const onDisk = earlierOnDisk(
    (path) => resolve(cwd, path),
    (path) => contents.get(path) ?? readMigrationText(resolve(cwd, path), path),
  )
  const inHistory = history && earlierInHistory(history)
  return {
    rules,
    fileExists: (path) => existsSync(resolve(cwd, path)),
    earlier: inHistory ? (path) => inHistory(path) ?? onDisk(path) : onDisk,
  }
}

function earlierInHistory(history: readonly Source[]): EarlierFiles {
  const index = new Map(history.map((file, i) => [file.path, i]))
  return (path) => {
    const at = index.get(path)
    return at === undefined ? undefined : history.slice(0, at)
  }
}
