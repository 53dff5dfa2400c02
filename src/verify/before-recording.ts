/**
 * Before a file is recorded as applied without running it (baseline, repair --applied, adopt): the objects
 * it creates must exist. Recording a file whose tables are not there is exactly how a database ends up
 * "migrated" without its schema. Missing objects refuse, naming each, unless --force, which the event records.
 */
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import type { MigrationFile } from '../runner/file-format.js'
import { findObjectDrift, type ObjectProblem, type Unchecked } from './index.js'

export interface RecordingCheck {
  /** Objects of the recorded files that are missing or not as created (only with force; otherwise it throws). */
  problems: ObjectProblem[]
  unchecked: Unchecked[]
  /** For the event: recorded although objects were missing. */
  forced: boolean
}

export interface RecordingOptions {
  /** Every file whose objects shape the schema: those applied already and those about to be recorded, in any order. */
  files: MigrationFile[]
  /** The versions about to be recorded: only their objects are checked. */
  recording: number[]
  ledgerSchema: string
  force?: boolean
  /** The command, for the message: `baseline`, `repair --applied 7`, `adopt prisma`. */
  command: string
  hint: string
}

export async function checkBeforeRecording(sql: Sql, options: RecordingOptions): Promise<RecordingCheck> {
  if (!options.recording.length) return { problems: [], unchecked: [], forced: false }
  const files = [...options.files].sort((a, b) => a.version - b.version)
  const recording = new Set(options.recording)
  const drift = await findObjectDrift(sql, files, options.ledgerSchema)
  const problems = drift.problems.filter((p) => recording.has(p.version))
  const unchecked = drift.unchecked.filter((u) => files.some((f) => f.path === u.file && recording.has(f.version)))
  if (problems.length && !options.force) {
    throw new StrataError(
      'drift',
      `refusing to ${options.command}: ${problems.length} object(s) that ${recording.size === 1 ? 'the file creates' : 'those files create'} are not in the database`,
      {
        file: problems[0].file,
        line: problems[0].line,
        context: problems.map((p) => p.message),
        problems,
        hint: `${options.hint}, or pass --force to record anyway (the event says so)`,
      },
    )
  }
  return { problems, unchecked, forced: problems.length > 0 }
}
