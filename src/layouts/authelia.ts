/**
 * Authelia's own migrator: `V<4 digits>.<Name>.up.sql` and `.down.sql`, each run in a transaction. Empty
 * files are deliberate no-ops (changes only other databases need).
 */
import { pattern, type PairedTool } from './paired.js'

export const authelia: PairedTool = {
  tool: "Authelia's migrator",
  match: pattern(/^V(\d{4})\.([^.]+)\.(up|down)\.sql$/),
  zeroAllowed: true,
}
