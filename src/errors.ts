/**
 * Errors are values: a stable code for scripts, a sentence for people, and the facts behind it.
 * The CLI decides how to render them; the library never prints or exits.
 */
export type ErrorCode =
  | 'usage' // bad flag or argument
  | 'config' // no URL, unreadable directory, refused environment
  | 'files' // bad file names, duplicate versions
  | 'history' // edited, missing, failed or out-of-order history
  | 'lint' // lint errors stop the run
  | 'migration' // a migration failed on the server
  | 'lock' // waited too long for another runner
  | 'connection' // could not reach or log in to the server
  | 'drift' // database does not match its history

export interface ErrorFacts {
  file?: string
  line?: number
  column?: number
  sqlstate?: string
  detail?: string
  hint?: string
  /** Free-form extra lines rendered under the message (e.g. the source line with a caret). */
  context?: string[]
  [key: string]: unknown
}

export class StrataError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly facts: ErrorFacts = {},
  ) {
    super(message)
    this.name = 'StrataError'
  }

  /** Exit code per DESIGN.md: 2 for usage or configuration, 1 when the work itself failed. */
  get exitCode(): 1 | 2 {
    return this.code === 'usage' || this.code === 'config' || this.code === 'files' ? 2 : 1
  }
}

export const fail = (code: ErrorCode, message: string, facts?: ErrorFacts): never => {
  throw new StrataError(code, message, facts)
}
