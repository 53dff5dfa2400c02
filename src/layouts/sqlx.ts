/**
 * sqlx (sqlx-cli, `sqlx::migrate!`): `<version>_<description>.sql`, or reversible `.up.sql` / `.down.sql`
 * pairs; a file whose first line is `-- no-transaction` runs outside a transaction. Other names are skipped.
 */
import type { PairedTool } from './paired.js'

export const sqlx: PairedTool = {
  tool: 'sqlx',
  match: (name) => {
    const m = /^(\d+)_(.+?)(\.up|\.down)?\.sql$/.exec(name)
    return m ? { version: m[1], name: m[2], direction: m[3] ? (m[3].slice(1) as 'up' | 'down') : undefined } : undefined
  },
  skipReason: 'not <version>_<description>.sql: sqlx skips it',
  noTransaction: (text) => text.replace(/^\uFEFF/, '').startsWith('-- no-transaction'),
}
