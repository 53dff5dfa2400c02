/**
 * Schema drift as a migration: from two catalog snapshots, the schema the files build (`expected`) and the live
 * one (`actual`), the statements that turn the first into the second, in dependency order, drops last.
 *
 * Built on Strata's own snapshot rather than a port of migra: the snapshot already reads every object verify
 * compares (grants, default privileges, comments, forced RLS, domains, enum values...), and each statement here
 * is written guarded, so the file passes Strata's lint. What cannot be written safely is listed, never guessed.
 */
import type { Snapshot, SnapshotObject } from '../schema/index.js'
import * as ddl from './statements.js'

/** Sections of the file, in the order they run. */
export const STEPS = [
  'views dropped to be created again',
  'schemas',
  'extensions',
  'types and domains',
  'sequences',
  'functions',
  'tables',
  'columns',
  'sequence ownership',
  'constraints',
  'views',
  'indexes',
  'triggers',
  'row level security',
  'policies',
  'privileges',
  'comments',
  'owners',
  'drops',
] as const
export type Step = (typeof STEPS)[number]

export interface Change {
  step: Step
  /** The snapshot key of the object, e.g. `column public.users.email`. */
  object: string
  action: 'create' | 'alter' | 'replace' | 'drop'
  statements: string[]
  /** Lint rules a statement trips on purpose (the live database already did it): written as strata:ignore above it. */
  ignore?: string[]
  /** Sort order inside a step. */
  order?: number
}

export interface Unsupported {
  object: string
  reason: string
}

export interface MigrationPlan {
  changes: Change[]
  /** Differences no statement here can reproduce safely: said in the file and in the result. */
  unsupported: Unsupported[]
}

type Pair = { key: string; want?: SnapshotObject; have?: SnapshotObject }

export function planMigration(expected: Snapshot, actual: Snapshot): MigrationPlan {
  const plan: MigrationPlan = { changes: [], unsupported: [] }
  const recreate = relationsToRecreate(expected, actual)
  const forced = childrenOf(actual, recreate)
  const keys = [...new Set([...Object.keys(expected.objects), ...Object.keys(actual.objects)])].sort()
  for (const key of keys) {
    let want: SnapshotObject | undefined = expected.objects[key]
    const have = actual.objects[key]
    if (forced.has(key))
      want = undefined // its relation is dropped and created again: so is it
    else if (want && have && want.definition === have.definition && !recreate.has(key)) continue
    if (!have && want && ancestorMissing(want, actual)) continue // a DROP of what it belongs to takes it along
    planObject({ key, want, have }, expected, actual, recreate, plan)
  }
  plan.changes.sort((a, b) => STEPS.indexOf(a.step) - STEPS.indexOf(b.step) || (a.order ?? 0) - (b.order ?? 0))
  return plan
}

const facts = (o: SnapshotObject | undefined) => (o?.facts ?? {}) as Record<string, any>

function ancestorMissing(o: SnapshotObject, actual: Snapshot): boolean {
  return !!o.parent && !(o.parent in actual.objects)
}

function planObject(pair: Pair, expected: Snapshot, actual: Snapshot, recreate: Set<string>, plan: MigrationPlan): void {
  const o = (pair.have ?? pair.want)!
  const add = (step: Step, action: Change['action'], statements: string[], extra: Partial<Change> = {}) => {
    if (statements.length) plan.changes.push({ step, object: pair.key, action, statements, ...extra })
  }
  const unsupported = (reason: string) => void plan.unsupported.push({ object: pair.key, reason })
  const { want, have } = pair
  if (facts(o).inherited) return // a partition's copy of its parent's column, constraint, index or trigger
  switch (o.kind) {
    case 'schema':
      if (!have) add('drops', 'drop', [ddl.dropSchema(want!)], { ignore: ['drop-schema'], order: 90 })
      else if (!want) add('schemas', 'create', [ddl.createSchema(have)])
      return
    case 'extension':
      if (!have) add('drops', 'drop', [ddl.dropExtension(want!)], { order: 80 })
      else add('extensions', want ? 'alter' : 'create', [want ? ddl.moveExtension(have) : ddl.createExtension(have)])
      return
    case 'type':
    case 'domain':
      return planType(pair, add, unsupported)
    case 'sequence':
      if (!have) return add('drops', 'drop', [ddl.dropSequence(want!)], { order: 60 })
      add('sequences', want ? 'alter' : 'create', [want ? ddl.alterSequence(have) : ddl.createSequence(have)])
      if (facts(have).ownedBy !== facts(want).ownedBy) add('sequence ownership', 'alter', [ddl.sequenceOwner(have)])
      return
    case 'function':
    case 'procedure':
    case 'aggregate':
      if (!have) return add('drops', 'drop', [ddl.dropRoutine(want!)], { order: 65 })
      if (have.kind === 'aggregate')
        return unsupported('aggregates are not written by strata diff: write CREATE OR REPLACE AGGREGATE by hand')
      if (want && ddl.mustDropRoutine(want, have)) return add('functions', 'replace', [ddl.dropRoutine(want), ddl.routineDef(have)])
      return add('functions', want ? 'replace' : 'create', [ddl.routineDef(have)])
    case 'table':
      return planTable(pair, actual, add, unsupported)
    case 'column':
      return planColumn(pair, expected, add)
    case 'constraint': {
      const fk = facts(o).type === 'f'
      if (!have) return add('drops', 'drop', [ddl.dropConstraint(want!)], { order: fk ? 10 : 20 })
      const statements = want && !recreate.has(o.parent!) ? [ddl.dropConstraint(want), ddl.addConstraint(have)] : [ddl.addConstraint(have)]
      return add('constraints', want ? 'replace' : 'create', statements, { order: fk ? 1 : 0 })
    }
    case 'index':
      if (!have) return add('drops', 'drop', [ddl.dropIndex(want!)], { order: 30 })
      return add('indexes', want ? 'replace' : 'create', want ? [ddl.dropIndex(want), ddl.createIndex(have)] : [ddl.createIndex(have)])
    case 'view':
    case 'materialized view':
      return planView(pair, expected, actual, recreate, add)
    case 'trigger':
      if (!have) return add('drops', 'drop', [ddl.dropTrigger(want!)], { order: 2 })
      return add('triggers', want ? 'replace' : 'create', [ddl.createTrigger(have)])
    case 'row level security':
      return add('row level security', 'alter', ddl.rowLevelSecurity(want, have, facts(o).qname))
    case 'policy':
      if (!have) return add('drops', 'drop', [ddl.dropPolicy(want!)], { order: 1 })
      return add('policies', want ? 'replace' : 'create', [ddl.createPolicy(have)])
    case 'grant':
      if (!want && facts(have).implicit) return // the defaults a new object comes with
      return add('privileges', 'alter', ddl.grantChanges(want, have))
    case 'default privileges':
      return add('privileges', 'alter', ddl.grantChanges(want, have), { order: 1 })
    case 'comment':
      return add('comments', 'alter', [ddl.comment(o, have ? have.definition : null)])
    case 'owner':
      return add('owners', 'alter', [ddl.owner(o, facts(have).owner)])
  }
}

type Add = (step: Step, action: Change['action'], statements: string[], extra?: Partial<Change>) => void

function planType({ want, have }: Pair, add: Add, unsupported: (reason: string) => void): void {
  if (!have) return add('drops', 'drop', [ddl.dropType(want!)], { order: 70 })
  if (!want) return add('types and domains', 'create', [have.kind === 'domain' ? ddl.createDomain(have) : ddl.createType(have)])
  if (have.kind === 'domain') {
    const statements = ddl.alterDomain(want, have)
    if (statements) return add('types and domains', 'alter', statements)
    return unsupported(`the domain's base type changed (${facts(want).base} to ${facts(have).base}): write it by hand`)
  }
  if (facts(have).typtype === 'e' && facts(want).typtype === 'e') {
    const statements = ddl.addEnumValues(want, have)
    if (statements) return add('types and domains', 'alter', statements)
    return unsupported('enum labels were removed or reordered, which ALTER TYPE cannot do: write it by hand')
  }
  unsupported(`the type changed (${want.definition} to ${have.definition}): write it by hand`)
}

function planTable({ want, have }: Pair, actual: Snapshot, add: Add, unsupported: (reason: string) => void): void {
  if (!have) {
    // Partitions and inheritance children go first, so their parents have nothing left hanging on them.
    const order = facts(want).partitionOf || facts(want).inherits ? 49 : 50
    return add('drops', 'drop', [ddl.dropTable(want!)], { ignore: ['drop-table'], order })
  }
  if (!want) {
    if (facts(have).relkind === 'f')
      return unsupported('foreign tables are not written by strata diff (they need their server): write it by hand')
    const columns = Object.values(actual.objects).filter((c) => c.kind === 'column' && c.parent === `table ${have.schema}.${have.name}`)
    // Partitions after the tables they belong to; settings CREATE TABLE cannot carry right after.
    add('tables', 'create', [ddl.createTable(have, columns), ...columns.flatMap(ddl.columnSettings)], {
      order: facts(have).partitionOf || facts(have).inherits ? 1 : 0,
    })
    return add('row level security', 'alter', ddl.replicaIdentity(undefined, have), { order: -1 })
  }
  const statements = ddl.alterTable(want, have)
  if (!statements) return unsupported(`partitioning or inheritance changed (${want.definition} to ${have.definition}): write it by hand`)
  add('tables', 'alter', statements)
  add('row level security', 'alter', ddl.replicaIdentity(want, have), { order: -1 })
}

function planColumn({ key, want, have }: Pair, expected: Snapshot, add: Add): void {
  if (!have) return add('drops', 'drop', [ddl.dropColumn(want!)], { ignore: ['drop-column'], order: 40 })
  if (!want) {
    if (!(have.parent! in expected.objects)) return // written inside its CREATE TABLE
    return add('columns', 'create', [ddl.addColumn(have), ...ddl.columnSettings(have)], { order: facts(have).position })
  }
  const altered = ddl.alterColumn(want, have)
  if (!altered) {
    // A generated column cannot be made from a plain one: it is dropped and added again (its values are computed).
    return add('columns', 'replace', [ddl.dropColumn(want), ddl.addColumn(have)], { ignore: ['drop-column'], order: facts(have).position })
  }
  add('columns', 'alter', altered.statements, {
    ignore: altered.typeChanged ? ['alter-column-type'] : undefined,
    order: facts(have).position,
  })
  void key
}

function planView({ want, have }: Pair, expected: Snapshot, actual: Snapshot, recreate: Set<string>, add: Add): void {
  const o = (have ?? want)!
  const materialized = o.kind === 'materialized view'
  if (!have) {
    const depth = viewDepth(want!, expected)
    return add('drops', 'drop', [materialized ? ddl.dropMaterializedView(want!) : ddl.dropView(want!)], { order: 3 + 1 / (depth + 1) })
  }
  const depth = viewDepth(have, actual)
  const create = materialized ? ddl.createMaterializedView(have) : ddl.createView(have)
  if (want && recreate.has(`${o.kind} ${o.schema}.${o.name}`)) {
    // Dropped before anything else changes (a column they read may change type), dependents first.
    add('views dropped to be created again', 'drop', [materialized ? ddl.dropMaterializedView(want) : ddl.dropView(want)], {
      order: -viewDepth(want, expected),
    })
    return add('views', 'create', [create], { order: depth })
  }
  if (want && facts(want).viewdef === facts(have).viewdef) return add('views', 'alter', ddl.viewOptions(want, have), { order: depth })
  add('views', want ? 'replace' : 'create', [create], { order: depth })
}

/** How many views a view reads through, so that views are created after those they read. */
function viewDepth(o: SnapshotObject, snap: Snapshot, seen = new Set<string>()): number {
  const reads = (facts(o).reads ?? []) as string[]
  let depth = 0
  for (const name of reads) {
    const read = snap.objects[`view ${name}`] ?? snap.objects[`materialized view ${name}`]
    if (!read || seen.has(read.key)) continue
    seen.add(read.key)
    depth = Math.max(depth, 1 + viewDepth(read, snap, seen))
  }
  return depth
}

/**
 * Relations that cannot be changed in place: a materialized view whose query changed, a view whose columns
 * changed other than by new ones at the end, a view reading a column whose type changes (ALTER COLUMN TYPE
 * refuses while a view uses it); and every view that reads one of them.
 */
function relationsToRecreate(expected: Snapshot, actual: Snapshot): Set<string> {
  const out = new Set<string>()
  const retyped = new Set<string>()
  for (const have of Object.values(actual.objects)) {
    const want = expected.objects[have.key]
    if (!want || want.definition === have.definition) continue
    if (have.kind === 'materialized view' && facts(want).viewdef !== facts(have).viewdef) out.add(have.key)
    if (have.kind === 'view' && ddl.viewNeedsDrop(want, have)) out.add(have.key)
    if (have.kind === 'column' && (facts(want).type !== facts(have).type || facts(want).collation !== facts(have).collation))
      retyped.add(have.parent!.replace(/^table /, ''))
  }
  for (const o of Object.values(actual.objects)) {
    if ((o.kind === 'view' || o.kind === 'materialized view') && o.key in expected.objects) {
      const reads = (facts(expected.objects[o.key]).reads ?? []) as string[]
      if (reads.some((name) => retyped.has(name))) out.add(o.key)
    }
  }
  for (let grew = true; grew;) {
    grew = false
    for (const o of Object.values(actual.objects)) {
      if ((o.kind !== 'view' && o.kind !== 'materialized view') || out.has(o.key) || !(o.key in expected.objects)) continue
      const reads = (facts(o).reads ?? []) as string[]
      if (reads.some((name) => out.has(`view ${name}`) || out.has(`materialized view ${name}`))) (out.add(o.key), (grew = true))
    }
  }
  return out
}

/** Everything that hangs on the given objects (indexes, triggers, grants, comments, and what hangs on those). */
function childrenOf(snap: Snapshot, roots: Set<string>): Set<string> {
  const out = new Set<string>()
  for (let grew = roots.size > 0; grew;) {
    grew = false
    for (const o of Object.values(snap.objects)) {
      if (!o.parent || out.has(o.key) || !(roots.has(o.parent) || out.has(o.parent))) continue
      out.add(o.key)
      grew = true
    }
  }
  return out
}

export interface RenderOptions {
  /** Comment lines at the top: what the file is and where it came from. */
  header: string[]
}

/** The migration file: header, what could not be captured, then each step under a heading; drops last, marked. */
export function renderMigration(plan: MigrationPlan, options: RenderOptions): string {
  const lines = options.header.map((l) => `-- ${l}`.trimEnd())
  if (plan.unsupported.length) {
    lines.push('--', '-- NOT CAPTURED: strata diff cannot write these safely; add them by hand:')
    for (const u of plan.unsupported) lines.push(`--   ${u.object}: ${u.reason}`)
  }
  lines.push('')
  if (plan.changes.some((c) => c.step === 'functions')) {
    lines.push('-- Function bodies may name tables created further down.', 'set local check_function_bodies = off;', '')
  }
  let step: Step | undefined
  for (const change of plan.changes) {
    if (change.step !== step) {
      step = change.step
      if (step === 'drops') {
        lines.push(
          '-- ============================================================================',
          '-- DROPS: the live database no longer has these objects. Running this file',
          '-- elsewhere deletes them and what is in them: review before it does.',
          '-- ============================================================================',
        )
      } else lines.push(`-- ${step}`)
    }
    for (const statement of change.statements) {
      if (change.ignore) lines.push(`-- strata:ignore ${change.ignore.join(', ')}`)
      lines.push(statement)
    }
    lines.push('')
  }
  return lines.join('\n').replace(/\n+$/, '\n')
}
