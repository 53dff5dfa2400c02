/**
 * Turning what the trace saw into flags a reviewer can act on: which lock blocks what, for how long, and the
 * safer way, with the page that explains it (a lint rule's, or the lock queue in docs/plan.md).
 */
import type { Flag, LockTaken } from './types.js'

/** Modes that block the application: every read and write, or every write. */
const BLOCKS_ALL = new Set(['AccessExclusiveLock'])
const BLOCKS_WRITES = new Set(['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock'])
export const blocksWrites = (mode: string) => BLOCKS_ALL.has(mode) || BLOCKS_WRITES.has(mode)

/** The shape of a statement that decides the advice, read from its syntax tree. */
export interface Shape {
  kind: string
  /** ALTER TABLE subcommands, e.g. AT_AddColumn, AT_AlterColumnType, AT_SetNotNull, AT_AddConstraint, AT_ValidateConstraint. */
  commands: string[]
  /** ADD CONSTRAINT ... FOREIGN KEY (or REFERENCES) without NOT VALID; CHECK without NOT VALID. */
  validatedForeignKey: boolean
  validatedCheck: boolean
  concurrent: boolean
}

export async function shapeOf(text: string): Promise<Shape> {
  const { parseSql } = await import('../sql/index.js')
  const node = (await parseSql(text)).statements[0]?.node as Record<string, any> | undefined
  const kind = node ? Object.keys(node)[0]! : 'unknown'
  const inner = node?.[kind] ?? {}
  const cmds = ((inner.cmds ?? []) as { AlterTableCmd?: Record<string, any> }[]).map((c) => c.AlterTableCmd ?? {})
  const constraints = cmds.flatMap((c) => [c.def?.Constraint, ...((c.def?.ColumnDef?.constraints ?? []) as any[]).map((x) => x.Constraint)])
  const validated = (type: string) => constraints.some((c) => c?.contype === type && !c.skip_validation)
  return {
    kind,
    commands: cmds.map((c) => c.subtype as string),
    validatedForeignKey: validated('CONSTR_FOREIGN'),
    validatedCheck: validated('CONSTR_CHECK'),
    concurrent: !!inner.concurrent,
  }
}

export interface Seen {
  /** The strongest lock taken on each relation that existed before the file (tables and views; indexes only alone). */
  locks: (LockTaken & { kind: string })[]
  /** Tables (not indexes) rewritten, each with how many of its indexes were rebuilt. */
  rewrites: { relation: string; indexes: number }[]
  scans: string[]
  /** Milliseconds from this statement to the end of the file's transaction (null: no-transaction file). */
  heldMs: number | null
}

export function flagsFor(shape: Shape, seen: Seen): Flag[] {
  const flags: Flag[] = []
  const until = seen.heldMs === null ? 'while it runs' : 'until the file commits'
  for (const { relation, indexes } of seen.rewrites) {
    const advice = rewriteAdvice(shape)
    flags.push({
      level: 'danger',
      relation,
      message: `rewrites ${relation}${indexes ? ` and rebuilds its ${indexes} index${indexes === 1 ? '' : 'es'}` : ''} under AccessExclusiveLock: nothing reads or writes it ${until}, and the time grows with the table`,
      ...advice,
    })
  }
  const rewritten = new Set(seen.rewrites.map((r) => r.relation))
  for (const lock of seen.locks) {
    if (rewritten.has(lock.relation) || lock.kind === 'S') continue
    const scanned = seen.scans.includes(lock.relation)
    if (BLOCKS_ALL.has(lock.mode)) {
      flags.push({
        level: 'danger',
        relation: lock.relation,
        message: `takes AccessExclusiveLock on ${lock.relation}${scanned ? ' and reads every row of it to validate' : ''}: it waits for every open transaction on ${lock.relation}, and every query on it waits ${until}`,
        ...exclusiveAdvice(shape, scanned),
      })
    } else if (BLOCKS_WRITES.has(lock.mode)) {
      flags.push({
        level: 'warning',
        relation: lock.relation,
        message: `takes ${lock.mode} on ${lock.relation}${scanned ? ' and reads every row of it to validate' : ''}: inserts, updates and deletes on it wait ${until}`,
        ...writeBlockAdvice(shape),
      })
    } else if (scanned || (shape.concurrent && lock.mode === 'ShareUpdateExclusiveLock')) {
      flags.push({
        level: 'info',
        relation: lock.relation,
        message: `${scanned ? `reads every row of ${lock.relation} to validate` : `builds on ${lock.relation}`} under ${lock.mode}: reads and writes go on meanwhile`,
        help: 'This is the way that does not block: nothing to change.',
        docs: 'lock-modes',
      })
    }
  }
  return flags
}

type Advice = Pick<Flag, 'help' | 'docs'>

function rewriteAdvice(shape: Shape): Advice {
  if (shape.commands.includes('AT_AlterColumnType'))
    return {
      help: 'add a new column, backfill it in batches, switch the code over, then drop the old column in a later migration',
      docs: 'alter-column-type',
    }
  if (shape.commands.includes('AT_AddColumn'))
    return {
      help: 'add the column without a volatile default (or with a constant one), then fill it in batches',
      docs: 'add-column-volatile-default',
    }
  return { help: 'run it in a maintenance window, or build the new shape beside the old one and switch over', docs: 'lock-queue' }
}

function exclusiveAdvice(shape: Shape, scanned: boolean): Advice {
  if (shape.commands.includes('AT_SetNotNull') && scanned)
    return {
      help: 'add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL finds the proof and skips the scan',
      docs: 'set-not-null',
    }
  if (shape.validatedCheck && scanned)
    return {
      help: 'add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration (that scan blocks nothing)',
      docs: 'lock-queue',
    }
  return {
    help: 'the change itself is quick; the danger is the wait for the lock. Keep this file short so the lock is held briefly; strata migrate waits at most --lock-timeout per attempt and retries, so the application is not queued behind it',
    docs: 'lock-queue',
  }
}

function writeBlockAdvice(shape: Shape): Advice {
  if (shape.kind === 'IndexStmt')
    return {
      help: 'build it with CREATE INDEX CONCURRENTLY in a file of its own marked -- strata:no-transaction',
      docs: 'create-index-not-concurrently',
    }
  if (shape.validatedForeignKey)
    return { help: 'add the foreign key NOT VALID, then VALIDATE CONSTRAINT in a later migration', docs: 'add-foreign-key-validated' }
  return { help: 'keep the file short so the lock is held briefly', docs: 'lock-queue' }
}
