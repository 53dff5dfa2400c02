/**
 * golang-migrate: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`; other names are skipped, as its
 * file source skips them. It runs each file as one query without a transaction of its own; Strata runs it in
 * one, which is the same for every file golang-migrate can run: a lone CREATE INDEX CONCURRENTLY and a file
 * with its own BEGIN … COMMIT are recognised and run as golang-migrate ran them (src/runner/run-mode.ts).
 */
import { pattern, type PairedTool } from './paired.js'

export const golangMigrate: PairedTool = {
  tool: 'golang-migrate',
  match: pattern(/^(\d+)_(.*)\.(up|down)\.sql$/),
  skipReason: 'not <version>_<name>.up.sql or .down.sql: golang-migrate skips it',
  zeroAllowed: true,
}
