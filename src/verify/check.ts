/**
 * Expected objects against the catalog: each one that is not there, or not as the files left it (a column's
 * type or nullability), becomes a problem that names the file and line that should have created it.
 * Two small queries resolve what only the server can: function signatures and type names through its search_path.
 */
import type { Sql } from '../db/connect.js'
import type { Snapshot, SnapshotObject } from '../schema/index.js'
import { keyOf, type ExpectedObject } from './expected.js'
import { quoteIdent, typeSql, typeText, type TypeRef } from './sql-names.js'

export interface ObjectProblem {
  /** `invalid`: an index a failed or interrupted CREATE INDEX CONCURRENTLY left behind. */
  kind: 'missing' | 'different' | 'invalid'
  /** The object's key, e.g. `table public.users`. */
  object: string
  /** The file and line that created it (the last one to create or replace it). */
  file: string
  line: number
  version: number
  expected?: string
  actual?: string
  message: string
  /** Its table is not in the database and no file creates it (code Strata does not follow did). */
  unknownTable?: string
}

const PARENT_KINDS = new Set(['column', 'constraint', 'index', 'policy', 'trigger', 'row level security'])

export async function checkObjects(sql: Sql, expected: ExpectedObject[], snapshot: Snapshot): Promise<ObjectProblem[]> {
  const catalog = new Catalog(snapshot)
  const routines = await resolveRoutines(
    sql,
    expected.filter((o) => o.routine),
  )
  const types = await resolveTypes(
    sql,
    snapshot.serverVersion,
    expected.flatMap((o) => (o.column?.type ? [o.column.type] : [])),
  )
  const problems: ObjectProblem[] = []
  const missingTables = new Set<string>()
  const filesCreate = new Set(expected.filter((o) => o.kind === 'table').map((o) => `${o.schema}.${o.parent ?? o.name}`))
  for (const o of checkOrder(expected)) {
    const key = keyOf(o)
    // A missing table is one problem, not one more per column, index, constraint, policy and trigger.
    if (PARENT_KINDS.has(o.kind) && missingTables.has(`${o.schema}.${o.parent}`)) continue
    const problem = checkOne(o, key, catalog, routines, types)
    if (!problem) continue
    // On a table no file creates (a function or DO block made it, e.g. partitions) that is not there: nothing to say.
    const table = `${o.schema}.${o.parent}`
    if (PARENT_KINDS.has(o.kind) && !filesCreate.has(table) && !catalog.relationNamed(o.schema, o.parent!)) problem.unknownTable = table
    if (o.kind === 'table' && problem.kind === 'missing') missingTables.add(`${o.schema}.${o.name}`)
    problems.push(problem)
  }
  return problems
}

/** Tables come first so that their children can be skipped when the table itself is gone. */
function checkOrder(objects: ExpectedObject[]): ExpectedObject[] {
  const rank = (o: ExpectedObject) => (o.kind === 'schema' ? 0 : o.kind === 'table' ? 1 : 2)
  return [...objects].sort((a, b) => rank(a) - rank(b))
}

class Catalog {
  readonly objects: Record<string, SnapshotObject>
  private byParent = new Map<string, SnapshotObject[]>()

  constructor(snapshot: Snapshot) {
    this.objects = snapshot.objects
    for (const o of Object.values(snapshot.objects)) {
      if (!o.parent) continue
      const list = this.byParent.get(o.parent) ?? []
      list.push(o)
      this.byParent.set(o.parent, list)
    }
  }

  children(table: string, kind: string): SnapshotObject[] {
    return (this.byParent.get(`table ${table}`) ?? []).filter((o) => o.kind === kind)
  }

  relationNamed(schema: string, name: string): SnapshotObject | undefined {
    for (const kind of ['table', 'view', 'materialized view', 'sequence', 'index']) {
      const o = this.objects[`${kind} ${schema}.${name}`]
      if (o) return o
    }
    return undefined
  }
}

function checkOne(
  o: ExpectedObject,
  key: string,
  catalog: Catalog,
  routines: Set<string>,
  types: Map<string, ResolvedType>,
): ObjectProblem | undefined {
  const at = { object: key, file: o.origin.file, line: o.origin.line, version: o.origin.version }
  const missing = (what = `${key} does not exist`): ObjectProblem => ({
    kind: 'missing',
    ...at,
    message: `${o.origin.file}:${o.origin.line}: ${what}`,
  })
  switch (o.kind) {
    case 'function':
    case 'procedure':
      return routines.has(key) ? undefined : missing()
    case 'column':
      return checkColumn(o, key, catalog, types, missing)
    case 'index':
      return findIndex(o, catalog) ? undefined : missing()
    case 'constraint':
      return findConstraint(o, catalog) ? undefined : missing()
    case 'enum value': {
      const type = catalog.objects[`type ${o.schema}.${o.parent}`]
      if (!type) return undefined // the type itself is reported
      const labels = (type.facts?.labels as string[] | undefined) ?? []
      return labels.includes(o.name) ? undefined : missing(`enum type ${o.schema}.${o.parent} has no value '${o.name}'`)
    }
    case 'row level security':
      if (!catalog.relationNamed(o.schema, o.parent!)) return undefined
      return catalog.objects[key] ? undefined : missing(`row level security is not enabled on ${o.schema}.${o.parent}`)
    case 'table':
    case 'view':
    case 'materialized view':
    case 'sequence': {
      if (catalog.objects[key]) return undefined
      const other = catalog.relationNamed(o.schema, o.name)
      if (!other) return missing()
      return {
        kind: 'different',
        ...at,
        expected: o.kind,
        actual: other.kind,
        message: `${o.origin.file}:${o.origin.line}: ${o.schema}.${o.name} is a ${other.kind}, expected a ${o.kind}`,
      }
    }
    default:
      return catalog.objects[key] ? undefined : missing()
  }
}

function checkColumn(
  o: ExpectedObject,
  key: string,
  catalog: Catalog,
  types: Map<string, ResolvedType>,
  missing: () => ObjectProblem,
): ObjectProblem | undefined {
  const actual = catalog.objects[key]
  if (!actual) return catalog.relationNamed(o.schema, o.parent!) ? missing() : undefined
  const facts = actual.facts as { type: string; typeOid: number; typmod: number; notNull: boolean }
  const want = o.column?.type
  const resolved = want ? types.get(typeSql(want)) : undefined
  const typeDiffers = !!want && !!resolved && !sameType(want, resolved, facts)
  const nullDiffers = o.column?.notNull !== undefined && o.column.notNull !== facts.notNull
  if (!typeDiffers && !nullDiffers) return undefined
  const describe = (type: string, notNull: boolean | undefined) => `${type}${notNull === undefined ? '' : notNull ? ' not null' : ' null'}`
  const expected = describe(want ? typeText(want) : facts.type, o.column?.notNull)
  const found = describe(facts.type, o.column?.notNull === undefined ? undefined : facts.notNull)
  return {
    kind: 'different',
    object: key,
    file: o.origin.file,
    line: o.origin.line,
    version: o.origin.version,
    expected,
    actual: found,
    message: `${o.origin.file}:${o.origin.line}: ${key} is ${found}, expected ${expected}`,
  }
}

function sameType(want: TypeRef, resolved: ResolvedType, facts: { typeOid: number; typmod: number }): boolean {
  if (resolved.oid !== facts.typeOid) return false
  if (want.baseOnly) return true
  // Servers before 17 cannot say which modifier a written type means; then only `no modifier` can be compared.
  if (resolved.typmod === null) return want.mods ? true : facts.typmod === -1
  return resolved.typmod === facts.typmod
}

function findIndex(o: ExpectedObject, catalog: Catalog): boolean {
  if (catalog.objects[`index ${o.schema}.${o.name}`]) return true
  // An index that a constraint now owns (ADD CONSTRAINT ... USING INDEX) shows as that constraint.
  if (catalog.objects[`constraint ${o.schema}.${o.parent}.${o.name}`]) return true
  if (o.index!.named) return false
  // Postgres named it: find one on the same table over the same columns (expressions match expressions).
  const want = JSON.stringify(o.index!.columns)
  return catalog.children(`${o.schema}.${o.parent}`, 'index').some((i) => JSON.stringify(i.facts?.columns) === want)
}

function findConstraint(o: ExpectedObject, catalog: Catalog): boolean {
  if (catalog.objects[`constraint ${o.schema}.${o.parent}.${o.name}`]) return true
  if (o.constraint!.named) return false
  const { type, columns } = o.constraint!
  return catalog.children(`${o.schema}.${o.parent}`, 'constraint').some((c) => {
    const facts = c.facts as { type: string; columns: string[] }
    if (facts.type !== type) return false
    return type === 'c' || JSON.stringify(facts.columns) === JSON.stringify(columns)
  })
}

/** The keys of expected routines that exist, resolved with to_regprocedure through the database's search_path. */
async function resolveRoutines(sql: Sql, routines: ExpectedObject[]): Promise<Set<string>> {
  if (!routines.length) return new Set()
  const signatures = routines.map((r) => `${quoteIdent(r.schema)}.${quoteIdent(r.name)}(${r.routine!.args.map(typeSql).join(', ')})`)
  const rows = await sql.unsafe(
    `select ord::int as ord, to_regprocedure(sig) is not null as ok from unnest($1::text[]) with ordinality as u(sig, ord)`,
    [signatures],
  )
  return new Set(rows.filter((r) => r.ok).map((r) => keyOf(routines[(r.ord as number) - 1])))
}

interface ResolvedType {
  oid: number
  /** null when the server cannot tell (before Postgres 17, no to_regtypemod). */
  typmod: number | null
}

async function resolveTypes(sql: Sql, serverVersion: number, refs: TypeRef[]): Promise<Map<string, ResolvedType>> {
  const texts = [...new Set(refs.map(typeSql))]
  if (!texts.length) return new Map()
  const typmod = serverVersion >= 170000 ? 'to_regtypemod(t)' : 'null::int'
  const rows = await sql.unsafe(`select t, to_regtype(t)::oid as oid, ${typmod} as typmod from unnest($1::text[]) as t`, [texts])
  return new Map(rows.filter((r) => r.oid !== null).map((r) => [r.t as string, { oid: Number(r.oid), typmod: r.typmod as number | null }]))
}

/**
 * Indexes marked INVALID: what a failed or interrupted CREATE INDEX CONCURRENTLY leaves behind. Queries never
 * use one, every write still maintains it, and `IF NOT EXISTS` skips it when the file runs again; so it is a
 * failure, named with the file that creates it when the history knows it.
 */
export async function invalidIndexes(sql: Sql, expected: ExpectedObject[], skipSchemas: string[]): Promise<ObjectProblem[]> {
  const rows = (await sql.unsafe(
    `select n.nspname as schema, c.relname as name, t.relname as "table"
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
       join pg_namespace n on n.oid = c.relnamespace
      where not i.indisvalid and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
      order by 1, 2`,
  )) as unknown as { schema: string; name: string; table: string }[]
  return rows
    .filter((r) => !skipSchemas.includes(r.schema))
    .map((r) => {
      const origin = expected.find((o) => o.kind === 'index' && o.schema === r.schema && o.name === r.name)?.origin
      const name = `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`
      const rerun = origin
        ? `run ${origin.file} again: strata repair --rolled-back ${origin.version} (if its row is failed), then strata migrate, which drops the invalid index before building it`
        : `drop it (DROP INDEX CONCURRENTLY ${name}) and build it again; when a pending migration builds it, strata migrate drops the invalid one first`
      return {
        kind: 'invalid' as const,
        object: `index ${r.schema}.${r.name}`,
        file: origin?.file ?? '',
        line: origin?.line ?? 0,
        version: origin?.version ?? 0,
        message: `${origin ? `${origin.file}:${origin.line}: ` : ''}index ${r.schema}.${r.name} on ${r.table} is INVALID (a CREATE INDEX CONCURRENTLY failed or was interrupted): queries do not use it and writes still pay for it; ${rerun}`,
      }
    })
}
