import type { Rule } from '../types.js'

/** Reported by the engine itself when a file does not parse; listed here for configuration and docs. */
export const syntaxError: Rule = {
  id: 'syntax-error',
  category: 'syntax',
  defaultSeverity: 'error',
  summary: 'The file does not parse as PostgreSQL SQL.',
}
