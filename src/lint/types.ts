import type { Statement } from '../sql/index.js'
import type { FileFacts } from './facts.js'

export type Severity = 'error' | 'warning'
export type SeveritySetting = Severity | 'off'
export type Category = 'idempotency' | 'destructive' | 'locking' | 'transaction' | 'syntax' | 'config'

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
