/**
 * The Supabase CLI: `supabase/migrations/<timestamp>_<name>.sql`, each file in one transaction; a .sql file
 * named otherwise is skipped, as the CLI skips it ("file name must match pattern <timestamp>_name.sql").
 */
import type { PairedTool } from './paired.js'

export const supabase: PairedTool = {
  tool: 'the Supabase CLI',
  match: (name) => {
    const m = /^(\d+)_(.*)\.sql$/.exec(name)
    return m ? { version: m[1], name: m[2] } : undefined
  },
  skipReason: 'not <timestamp>_<name>.sql: the Supabase CLI skips it',
}
