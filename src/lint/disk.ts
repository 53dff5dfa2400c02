/**
 * The lint configuration of a project on disk: rule settings, and the two things rules may look up besides the
 * file they check (whether its down file exists; the files before it, read only when a rule asks). Built the
 * same way by `strata lint` and by `migrate`'s lint step.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { readMigrationText } from '../runner/file-format.js'
import { earlierOnDisk } from './history.js'
import type { Source } from './history.js'
import type { LintConfig, SeveritySetting } from './types.js'

/** `known`: sources already read; earlier files among them are not read again. */
export function lintConfigOnDisk(cwd: string, rules: Record<string, SeveritySetting>, known: Source[] = []): LintConfig {
  const contents = new Map(known.map((source) => [source.path, source.content]))
  return {
    rules,
    fileExists: (path) => existsSync(resolve(cwd, path)),
    earlier: earlierOnDisk(
      (path) => resolve(cwd, path),
      (path) => contents.get(path) ?? readMigrationText(resolve(cwd, path), path),
    ),
  }
}
