import type { Statement } from '../sql/index.js'
import type { FileFacts } from './facts.js'
import type { EarlierFiles } from './history.js'

export type Severity = 'error' | 'warning'
export type SeveritySetting = Severity | 'off'
/** `breaking`: the change works, but breaks the application running against the database, or fails once the table has rows. */
export type Category = 'idempotency' | 'destructive' | 'locking' | 'breaking' | 'transaction' | 'syntax' | 'config'

export interface Finding {
  file: string
  /** 1-based; columns count characters of the file text. */
  line: number
  column: number
  endLine: number
  endColumn: number
  severity: Severity
  rule: string
  category: Category
  message: string
  help: string
  /** Set on an error a run lets through on purpose (e.g. `--allow-destructive`): shown as accepted, not as an error. */
  accepted?: string
  /** In a file before package.json "strata.enforceFrom": an adopted history, so a warning that never blocks. */
  adopted?: boolean
}

export interface LintConfig {
  /** Severity per rule id; rules not listed keep their default. */
  rules: Record<string, SeveritySetting>
  /** Lets file-level rules (missing-down) see files on disk; without it they only see the sources being linted. */
  fileExists?: (path: string) => boolean
  /** Column types before a source runs, by its path, then `table.column` (src/lint/column-types.ts). */
  columnTypes?: Map<string, Map<string, import('../verify/sql-names.js').TypeRef>>
  /** The files before a file, for rules that look back (SET NOT NULL after a CHECK an earlier file validated); without it they see the file alone. */
  earlier?: EarlierFiles
  /** Filled with the paths whose findings did look back at the files before them (the cache keys those on them too). */
  lookedBack?: Set<string>
}

/** What a file-level rule sees: the file as a whole, without parsing it. */
export interface SourceFile {
  path: string
  text: string
  fileExists: (path: string) => boolean
}

/** What a rule reports; the engine adds file, position, severity and category. */
export interface Report {
  message: string
  help: string
  /** Character offset in the file where the problem is; defaults to the statement's start. */
  offset?: number
  /** Where it ends (exclusive); defaults to the statement's end. */
  end?: number
  /** The statement inside a DO block or function body the report is about: a `strata:ignore` right above it works too. */
  within?: Pick<Statement, 'line'>
}

export interface Rule {
  id: string
  category: Category
  defaultSeverity: SeveritySetting
  /** One line for listings: what the rule catches. */
  summary: string
  /** Statement kinds (e.g. 'DropStmt') this rule looks at; the engine calls `check` only for those. */
  kinds?: readonly string[]
  check?(statement: Statement, file: FileFacts): Report[]
  /** For rules about the file as a whole rather than a statement. */
  checkFile?(file: SourceFile): Report[]
}
