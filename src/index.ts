/**
 * pgstrata: the programmatic API. Every command of the CLI is a function here that returns a
 * structured result or throws a StrataError (code, message, facts); nothing here prints or exits.
 */
export { migrate, type MigrateOptions, type MigrateResult, type AppliedFile, type Progress } from './commands/migrate.js'
export { status, type StatusResult, type StatusEntry } from './commands/status.js'
export { newMigration, type NewOptions, type NewResult } from './commands/new.js'
export { readMigrations, readHistory, type History } from './runner/files.js'
export { LAYOUTS, type LayoutName, type Skipped } from './layouts/index.js'
export { checksum, normalize, type MigrationFile } from './runner/file-format.js'
export { StrataError, type ErrorCode, type ErrorFacts } from './errors.js'
export { maskUrl } from './db/url.js'
export type { CommonOptions } from './config/index.js'
export {
  snapshotSchema,
  diffSnapshots,
  formatDifferences,
  type Snapshot,
  type SnapshotObject,
  type SnapshotOptions,
  type SchemaDifference,
  type ObjectKind,
} from './schema/index.js'
export { reverse, type ReverseOptions, type ReverseCommandResult, type ReverseFileResult } from './commands/reverse.js'
export { down, type DownOptions, type DownResult, type DownStep, type DownProgress } from './commands/down.js'
export {
  checkReverse,
  type CheckReverseOptions,
  type CheckReverseResult,
  type CheckedFile,
  type CheckFailure,
  type CheckProgress,
  type CheckStatus,
} from './commands/check-reverse.js'
export {
  reverseHistory,
  reverseMigration,
  readStubHeader,
  type ReverseInput,
  type ReverseResult,
  type ReverseEntry,
  type IrreversibleStatement,
  type StubHeader,
} from './reverse/index.js'
export { verify, type VerifyOptions, type VerifyResult, type HistoryProblem } from './commands/verify.js'
export { repair, type RepairOptions, type RepairResult, type RepairAction } from './commands/repair.js'
export { baseline, type BaselineOptions, type BaselineResult } from './commands/baseline.js'
export { adopt, ADOPT_SOURCES, type AdoptOptions, type AdoptResult, type AdoptSource } from './commands/adopt.js'
export { type ObjectProblem, type Unchecked } from './verify/index.js'
export { backup, type BackupOptions, type BackupCommandResult, type FullBackupResult } from './commands/backup.js'
export { restore, type RestoreOptions, type RestoreCommandResult } from './commands/restore.js'
export { backupAtRisk, type BackupAtRiskOptions, type BackupResult } from './backup/index.js'
export { restoreBackup, type RestoreBackupOptions, type RestoreResult, type RestoredTable, type RestoreAction } from './backup/restore.js'
export { type Manifest, type BackupTable, type FullManifest, type FullTable } from './backup/manifest.js'
export { backupAll, type FullBackupOptions, type BackupProgress } from './backup/full.js'
export { restoreFull, type FullRestoreOptions, type FullRestoreResult, type RestoreProgress } from './backup/restore-full.js'
export { type CheckResult } from './backup/check.js'
export { describeConnection, type ConnectionDescription, type ConnectionKind } from './db/supabase.js'
export { plan, type PlanOptions, type PlanProgress, type PlanResult, type PlannedFile, type PlannedStatement } from './commands/plan.js'
export { renderMarkdown, renderPretty } from './plan/render.js'
export { diff, type DiffOptions, type DiffResult, type DiffProgress } from './commands/diff.js'
export { planMigration, renderMigration, type MigrationPlan, type Change, type Unsupported } from './diff/index.js'
export { reset, type ResetOptions, type ResetResult } from './commands/reset.js'
export { migrateTargets, statusTargets, verifyTargets, type TargetMigrateResult } from './commands/targets.js'
export { type StatusOptions } from './commands/status.js'
export {
  TargetRun,
  tenantLedger,
  DEFAULT_CONCURRENCY,
  type TargetsOptions,
  type TargetsEvent,
  type TargetResult,
  type TargetStatus,
  type TargetSpec,
  type Counts,
} from './targets/index.js'
