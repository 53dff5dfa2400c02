import { basename, dirname, join } from 'node:path'
import type { Rule } from '../types.js'

const UP_FILE = /^(\d+_[A-Za-z0-9_-]+)\.sql$/

export const missingDown: Rule = {
  id: 'missing-down',
  category: 'config',
  defaultSeverity: 'off',
  summary: 'An up file `<version>_<name>.sql` without a `<version>_<name>.down.sql` beside it.',
  checkFile(file) {
    const match = UP_FILE.exec(basename(file.path))
    if (!match) return []
    const down = join(dirname(file.path), `${match[1]}.down.sql`)
    if (file.fileExists(down)) return []
    return [
      {
        message: `${basename(file.path)} has no down file, so \`strata down\` cannot roll it back.`,
        help: `Write ${basename(down)} beside it; \`strata reverse\` drafts one for you.`,
        offset: 0,
      },
    ]
  },
}
