/**
 * The Supabase CLI: `supabase/migrations/<timestamp>_<name>.sql`, each file in one transaction; a .sql file
 * named otherwise is skipped, as the CLI skips it ("file name must match pattern <timestamp>_name.sql").
 * `<timestamp>_<name>.down.sql` is Strata's down file for it (written by strata reverse; the CLI has no downs).
 */
import type { PairedTool } from './paired.js'

export const supabase: PairedTool = {
  tool: 'the Supabase CLI',
  match: (name) => {
    const m = /^(\d+)_(.*?)(\.down)?\.sql$/.exec(name)
    return m ? { version: m[1], name: m[2], direction: m[3] ? 'down' : undefined } : undefined
  },
  skipReason: 'not <timestamp>_<name>.sql: the Supabase CLI skips it',
}
