/**
 * postgres-migrations (npm): `<id>[-_]<name>.sql`, ids 1, 2, 3 … without a gap (`00010-x.sql` is id 10);
 * `-- postgres-migrations disable-transaction` anywhere in a file runs it outside a transaction.
 */
import { refuse } from './folder.js'
import type { PairedTool } from './paired.js'

export const postgresMigrations: PairedTool = {
  tool: 'postgres-migrations',
  match: (name) => {
    const m = /^(\d+)[-_]?(.*)\.sql$/i.exec(name)
    return m ? { version: m[1], name: m[2] || name } : undefined
  },
  noTransaction: (text) => text.includes('-- postgres-migrations disable-transaction'),
  check(files, dir) {
    const gap = files.findIndex((f, i) => f.version !== i + 1)
    if (gap === -1) return
    refuse(
      [`${files[gap].path}: id ${files[gap].version} where ${gap + 1} was expected`],
      'postgres-migrations',
      dir,
      'postgres-migrations requires consecutive ids starting at 1 ("Found a non-consecutive migration ID")',
    )
  },
}
