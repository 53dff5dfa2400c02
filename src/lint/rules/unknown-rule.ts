import type { Rule } from '../types.js'

/** Reported by the engine for a `strata:ignore` comment naming a rule that does not exist (a typo ignores nothing). */
export const unknownRule: Rule = {
  id: 'unknown-rule',
  category: 'config',
  defaultSeverity: 'error',
  summary: 'A `-- strata:ignore` or `-- strata:ignore-file` comment names a rule that does not exist.',
}
