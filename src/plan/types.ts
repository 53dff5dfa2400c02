/**
 * What `strata plan` reports (its JSON, fixed in DESIGN.md "Plan and trace"): per pending file, its mode, lint
 * findings, reverse status, data at risk and statements; with --trace, per statement the locks it took on
 * relations that existed before the file, what it rewrote or scanned, its time, and flags for reviewers.
 */
import type { Finding } from '../lint/index.js'
import type { TransactionMode } from '../runner/apply.js'

export type ReverseStatus = 'complete' | 'unfinished' | 'missing'

export interface LockTaken {
  /** `schema.name`. */
  relation: string
  /** As Postgres names it, e.g. `AccessExclusiveLock`. */
  mode: string
}

/** Something a reviewer should know about a statement, from what the trace saw. */
export interface Flag {
  /** danger: blocks reads and writes; warning: blocks writes; info: worth knowing, blocks neither. */
  level: 'danger' | 'warning' | 'info'
  relation: string
  message: string
  /** The safer way, in a sentence. */
  help: string
  /** The lint rule whose page explains the safer way (docs/rules/<rule>.md), or `lock-queue` (docs/plan.md). */
  docs: string
}

export interface PlannedStatement {
  line: number
  column: number
  /** The statement on one line, shortened. */
  sql: string
  /** Traced only (null otherwise): milliseconds on the scratch database. */
  ms: number | null
  /** Traced only: the strongest lock it took on each relation that existed before the file. */
  locks: LockTaken[] | null
  /** Traced only: tables and indexes whose file it replaced (a rewrite of every row). */
  rewrites: string[] | null
  /** Traced only: tables it read in full to validate (ALTER TABLE), without rewriting them. */
  scans: string[] | null
  flags: Flag[]
}

/** A lock the file's transaction holds from a statement until COMMIT. */
export interface HeldLock extends LockTaken {
  /** The statement that took it. */
  line: number
  /** From that statement to the end of the file, on the scratch database. */
  ms: number
}

export interface AtRisk {
  line: number
  rule: string
  /** What is lost: `public.users (every row)`, `public.users.email`. */
  what: string
  /** Rows on the target (with a database), else null. */
  rows: number | null
  /** The row count is the planner's estimate (a large table is not counted). */
  estimated?: boolean
}

export interface PlannedFile {
  path: string
  version: number
  name: string
  mode: TransactionMode
  findings: Finding[]
  reverse: ReverseStatus
  /** Why, in a few words (`written by strata reverse`, `strata reverse can write a complete stub`). */
  reverseNote: string
  atRisk: AtRisk[]
  statements: PlannedStatement[]
  /** Traced transaction files: the strong locks held until COMMIT. */
  holds?: HeldLock[]
  /** Traced: the file failed on the scratch database; the statements after it, and later files, were not traced. */
  error?: { line?: number; column?: number; message: string; sqlstate?: string }
  /** Traced: the whole file on the scratch database. */
  ms?: number
}

/** Size of a relation the trace flagged, on the target. */
export interface RelationSize {
  rows: number
  estimated: boolean
  bytes: number
}

export interface PlanResult {
  /** False when `migrate` would refuse or fail: history blockers, lint errors, or a file that failed in the trace. */
  ok: boolean
  /** The masked target URL, or null when planned without a database. */
  target: string | null
  /** How the pending files were told: the target's ledger, a git revision (--base), or none (every file). */
  pendingFrom: { kind: 'ledger' | 'git' | 'none'; base?: string }
  /** How many files count as applied (the scratch database replays them for --trace). */
  applied: number
  /** History problems that make migrate refuse, one sentence each. */
  blockers: string[]
  traced: boolean
  /** Traced: where (`an embedded scratch Postgres` or a masked URL), and rows sampled per table. */
  scratch?: { shown: string; sampleRows?: number }
  files: PlannedFile[]
  /** With a database: sizes of the relations the trace flagged, by `schema.name`. */
  sizes?: Record<string, RelationSize>
}
