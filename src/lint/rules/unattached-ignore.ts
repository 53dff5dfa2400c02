import type { Rule } from '../types.js'

/** Reported by the engine (src/lint/suppressions.ts finds them): a `strata:ignore` that no statement picks up ignores nothing. */
export const unattachedIgnore: Rule = {
  id: 'unattached-ignore',
  category: 'config',
  defaultSeverity: 'error',
  summary: 'A `strata:ignore` that applies to no statement: after code on its line, in a /* */ comment, or not right above a statement.',
}
