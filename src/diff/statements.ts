/**
 * The DDL for one object, written from its snapshot facts (names come quoted from the catalog, definitions from
 * pg_get_*def). Every statement is guarded the way Strata's lint asks: IF [NOT] EXISTS, OR REPLACE, a DROP ... IF
 * EXISTS before a CREATE, or a DO block that checks the catalog first.
 */
import type { SnapshotObject } from '../schema/index.js'
import type { Privilege } from '../schema/privileges.js'
import { quoteLiteral } from '../sql/quote.js'

type Facts = Record<string, any>
const facts = (o: SnapshotObject) => (o.facts ?? {}) as Facts

/** A DO block that runs `statement` only when `condition` (a query) finds nothing. */
export function unlessExists(condition: string, statement: string): string {
  return `do $strata$\nbegin\n  if not exists (${condition}) then\n    ${statement};\n  end if;\nend\n$strata$;`
}

// ---- schemas, extensions ----

export const createSchema = (o: SnapshotObject) => `create schema if not exists ${facts(o).qname};`
export const dropSchema = (o: SnapshotObject) => `drop schema if exists ${facts(o).qname};`

export function createExtension(o: SnapshotObject): string {
  return `create extension if not exists ${facts(o).qname} with schema ${facts(o).qschema};`
}
export const moveExtension = (o: SnapshotObject) => `alter extension ${facts(o).qname} set schema ${facts(o).qschema};`
export const dropExtension = (o: SnapshotObject) => `drop extension if exists ${facts(o).qname};`

// ---- types and domains ----

const typeExists = (o: SnapshotObject) => `select 1 where to_regtype(${quoteLiteral(facts(o).qname)}) is not null`

export function createType(o: SnapshotObject): string {
  const f = facts(o)
  let body: string
  if (f.typtype === 'e') body = `as enum (${(f.labels as string[]).map(quoteLiteral).join(', ')})`
  else if (f.typtype === 'c') body = `as (${f.attributes ?? ''})`
  else body = `as range (subtype = ${f.subtype})`
  return unlessExists(typeExists(o), `create type ${f.qname} ${body}`)
}

/** Enum labels the live type gained, each placed where it sits there; undefined when labels were removed or reordered. */
export function addEnumValues(want: SnapshotObject, have: SnapshotObject): string[] | undefined {
  const before = facts(want).labels as string[]
  const after = facts(have).labels as string[]
  if (before.some((l, i) => after.indexOf(l) < 0 || (i > 0 && after.indexOf(l) < after.indexOf(before[i - 1])))) return undefined
  return after.flatMap((label, i) => {
    if (before.includes(label)) return []
    const where = i === 0 ? `before ${quoteLiteral(after[1])}` : `after ${quoteLiteral(after[i - 1])}`
    return [`alter type ${facts(have).qname} add value if not exists ${quoteLiteral(label)} ${where};`]
  })
}

export function createDomain(o: SnapshotObject): string {
  const f = facts(o)
  const parts = [`create domain ${f.qname} as ${f.base}`]
  if (f.default !== undefined) parts.push(`default ${f.default}`)
  if (f.notNull) parts.push('not null')
  for (const c of f.constraints as DomainConstraint[]) parts.push(`constraint ${c.qname} ${c.def}`)
  return unlessExists(typeExists(o), parts.join(' '))
}

interface DomainConstraint {
  name: string
  qname: string
  def: string
}

/** A domain changed in place: default, NOT NULL, and its named checks. Undefined when the base type changed. */
export function alterDomain(want: SnapshotObject, have: SnapshotObject): string[] | undefined {
  const w = facts(want)
  const h = facts(have)
  if (w.base !== h.base) return undefined
  const out: string[] = []
  if (w.default !== h.default) out.push(`alter domain ${h.qname} ${h.default === undefined ? 'drop default' : `set default ${h.default}`};`)
  if (w.notNull !== h.notNull) out.push(`alter domain ${h.qname} ${h.notNull ? 'set' : 'drop'} not null;`)
  const old = new Map((w.constraints as DomainConstraint[]).map((c) => [c.name, c.def]))
  const now = new Map((h.constraints as DomainConstraint[]).map((c) => [c.name, c]))
  for (const c of w.constraints as DomainConstraint[])
    if (now.get(c.name)?.def !== c.def) out.push(`alter domain ${h.qname} drop constraint if exists ${c.qname};`)
  for (const c of h.constraints as DomainConstraint[]) {
    if (old.get(c.name) === c.def) continue
    const exists = `select 1 from pg_constraint where contypid = ${quoteLiteral(h.qname)}::regtype and conname = ${quoteLiteral(c.name)}`
    out.push(unlessExists(exists, `alter domain ${h.qname} add constraint ${c.qname} ${c.def}`))
  }
  return out
}

export const dropType = (o: SnapshotObject) => `drop ${o.kind === 'domain' ? 'domain' : 'type'} if exists ${facts(o).qname};`

// ---- sequences ----

function sequenceOptions(f: Facts): string {
  return `as ${f.type} increment by ${f.increment} minvalue ${f.min} maxvalue ${f.max} start with ${f.start} cache ${f.cache} ${f.cycle ? 'cycle' : 'no cycle'}`
}
export const createSequence = (o: SnapshotObject) => `create sequence if not exists ${facts(o).qname} ${sequenceOptions(facts(o))};`
export const alterSequence = (o: SnapshotObject) => `alter sequence ${facts(o).qname} ${sequenceOptions(facts(o))};`
export const sequenceOwner = (o: SnapshotObject) => `alter sequence ${facts(o).qname} owned by ${facts(o).ownedBy ?? 'none'};`
export const dropSequence = (o: SnapshotObject) => `drop sequence if exists ${facts(o).qname};`

// ---- functions and procedures ----

export const routineDef = (o: SnapshotObject) => `${String(facts(o).def).trim()};`
/** CREATE OR REPLACE cannot change a result type or parameter names: those need the old one dropped first. */
export const mustDropRoutine = (want: SnapshotObject, have: SnapshotObject) =>
  facts(want).result !== facts(have).result || facts(want).identity !== facts(have).identity || want.kind !== have.kind
export const dropRoutine = (o: SnapshotObject) => `drop ${o.kind} if exists ${facts(o).qname};`

// ---- tables and columns ----

/** A column as CREATE TABLE and ADD COLUMN write it. */
export function columnSpec(o: SnapshotObject): string {
  const f = facts(o)
  const parts = [f.qname, f.type]
  if (f.collation) parts.push(`collate ${f.collation}`)
  if (f.generated) parts.push(`generated always as (${f.expression}) ${f.generated}`)
  else if (f.default !== null) parts.push(`default ${f.default}`)
  if (f.identity) parts.push(`generated ${f.identity} as identity`)
  if (f.notNull) parts.push('not null')
  return parts.join(' ')
}

/** Settings CREATE TABLE cannot carry: statistics targets and storage. */
export function columnSettings(o: SnapshotObject): string[] {
  const f = facts(o)
  const out: string[] = []
  if (f.statistics !== null && f.statistics !== undefined)
    out.push(`alter table ${f.qtable} alter column ${f.qname} set statistics ${f.statistics};`)
  if (f.storage) out.push(`alter table ${f.qtable} alter column ${f.qname} set storage ${f.storage};`)
  return out
}

export function createTable(o: SnapshotObject, columns: SnapshotObject[]): string {
  const f = facts(o)
  const options = f.options.length ? ` with (${f.options.join(', ')})` : ''
  if (f.partitionOf) return `create table if not exists ${f.qname} partition of ${f.partitionOf} ${f.bound}${options};`
  const word = f.persistence === 'u' ? 'create unlogged table' : 'create table'
  const own = columns.filter((c) => !facts(c).inherited).sort((a, b) => facts(a).position - facts(b).position)
  const body = own.length ? `(\n  ${own.map(columnSpec).join(',\n  ')}\n)` : '()'
  const tail = [f.inherits && `inherits (${f.inherits})`, f.partitionBy && `partition by ${f.partitionBy}`].filter(Boolean).join(' ')
  return `${word} if not exists ${f.qname} ${body}${tail ? ' ' + tail : ''}${options};`
}

export function alterTable(want: SnapshotObject, have: SnapshotObject): string[] | undefined {
  const w = facts(want)
  const h = facts(have)
  if (w.partitionBy !== h.partitionBy || w.partitionOf !== h.partitionOf || w.bound !== h.bound || w.inherits !== h.inherits)
    return undefined
  const out: string[] = []
  if (w.persistence !== h.persistence) out.push(`alter table ${h.qname} set ${h.persistence === 'u' ? 'unlogged' : 'logged'};`)
  out.push(...optionChanges(`alter table ${h.qname}`, w.options, h.options))
  return out
}

/** The replica identity is set after indexes exist: USING INDEX names one. */
export function replicaIdentity(want: SnapshotObject | undefined, have: SnapshotObject): string[] {
  const w = want ? facts(want).replicaIdentity : undefined
  const h = facts(have).replicaIdentity
  if (w === h) return []
  const what = h ?? 'default' // `using index <name>` comes quoted from the catalog
  return [`alter table ${facts(have).qname} replica identity ${what};`]
}

/** SET (...) for storage parameters added or changed, RESET (...) for those removed. */
export function optionChanges(prefix: string, before: string[], after: string[]): string[] {
  const key = (o: string) => o.slice(0, o.indexOf('='))
  const set = after.filter((o) => !before.includes(o))
  const reset = before.map(key).filter((k) => !after.some((o) => key(o) === k))
  const out: string[] = []
  if (reset.length) out.push(`${prefix} reset (${reset.join(', ')});`)
  if (set.length) out.push(`${prefix} set (${set.join(', ')});`)
  return out
}

export const addColumn = (o: SnapshotObject) => `alter table ${facts(o).qtable} add column if not exists ${columnSpec(o)};`
export const dropColumn = (o: SnapshotObject) => `alter table ${facts(o).qtable} drop column if exists ${facts(o).qname};`

/** A column changed in place; undefined when it must be dropped and added again (a generated column appearing). */
export function alterColumn(want: SnapshotObject, have: SnapshotObject): { statements: string[]; typeChanged: boolean } | undefined {
  const w = facts(want)
  const h = facts(have)
  if (!w.generated && h.generated) return undefined
  const at = `alter table ${h.qtable} alter column ${h.qname}`
  const out: string[] = []
  if (w.generated && !h.generated) out.push(`${at} drop expression;`)
  const typeChanged = w.type !== h.type || w.collation !== h.collation
  if (w.identity && !h.identity) out.push(`${at} drop identity if exists;`)
  if (w.default !== h.default && w.default !== null && !h.generated) out.push(`${at} drop default;`)
  if (typeChanged) out.push(`${at} type ${h.type}${h.collation ? ` collate ${h.collation}` : ''} using ${h.qname}::${h.type};`)
  if (w.generated && h.generated && w.expression !== h.expression) out.push(`${at} set expression as (${h.expression});`)
  if (w.default !== h.default && h.default !== null) out.push(`${at} set default ${h.default};`)
  if (w.notNull !== h.notNull) out.push(`${at} ${h.notNull ? 'set' : 'drop'} not null;`)
  if (!w.identity && h.identity) out.push(`${at} add generated ${h.identity} as identity;`)
  else if (w.identity && h.identity && w.identity !== h.identity) out.push(`${at} set generated ${h.identity};`)
  if (w.statistics !== h.statistics) out.push(`${at} set statistics ${h.statistics ?? -1};`)
  if (w.storage !== h.storage) out.push(`${at} set storage ${h.storage ?? 'default'};`)
  return { statements: out, typeChanged }
}

// ---- constraints and indexes ----

export function addConstraint(o: SnapshotObject): string {
  const f = facts(o)
  const exists = `select 1 from pg_constraint where conrelid = ${quoteLiteral(f.qtable)}::regclass and conname = ${quoteLiteral(o.name)}`
  return unlessExists(exists, `alter table ${f.qtable} add constraint ${f.qname} ${o.definition}`)
}
export const dropConstraint = (o: SnapshotObject) => `alter table ${facts(o).qtable} drop constraint if exists ${facts(o).qname};`

/** pg_get_indexdef with IF NOT EXISTS; on a partitioned table without ONLY, so the partitions get theirs too. */
export function createIndex(o: SnapshotObject): string {
  return `${o.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ').replace(/ ON ONLY /, ' ON ')};`
}
export const dropIndex = (o: SnapshotObject) => `drop index if exists ${facts(o).qname};`

// ---- views ----

function viewBody(o: SnapshotObject): string {
  return String(facts(o).viewdef).trim().replace(/;$/, '')
}
const withOptions = (o: SnapshotObject) => (facts(o).options.length ? ` with (${facts(o).options.join(', ')})` : '')

export const createView = (o: SnapshotObject) => `create or replace view ${facts(o).qname}${withOptions(o)} as\n${viewBody(o)};`
/** OR REPLACE keeps a view's columns: it may only add new ones at the end. */
export function viewNeedsDrop(want: SnapshotObject, have: SnapshotObject): boolean {
  const before = String(facts(want).viewColumns ?? '')
  const after = String(facts(have).viewColumns ?? '')
  return !(after === before || after.startsWith(before + ', '))
}
export const dropView = (o: SnapshotObject) => `drop view if exists ${facts(o).qname};`
export const viewOptions = (want: SnapshotObject, have: SnapshotObject) =>
  optionChanges(`alter ${have.kind} ${facts(have).qname}`, facts(want).options, facts(have).options)

export const createMaterializedView = (o: SnapshotObject) =>
  `create materialized view if not exists ${facts(o).qname}${withOptions(o)} as\n${viewBody(o)}\nwith data;`
export const dropMaterializedView = (o: SnapshotObject) => `drop materialized view if exists ${facts(o).qname};`

export const dropTable = (o: SnapshotObject) => `drop ${o.facts?.relkind === 'f' ? 'foreign table' : 'table'} if exists ${facts(o).qname};`

// ---- triggers, row level security, policies ----

export const dropTrigger = (o: SnapshotObject) => `drop trigger if exists ${facts(o).qname} on ${facts(o).qtable};`
export const createTrigger = (o: SnapshotObject) => `${dropTrigger(o)}\n${o.definition};`

export function rowLevelSecurity(want: SnapshotObject | undefined, have: SnapshotObject | undefined, qname: string): string[] {
  const was = { enabled: !!want?.facts?.enabled, forced: !!want?.facts?.forced }
  const is = { enabled: !!have?.facts?.enabled, forced: !!have?.facts?.forced }
  const out: string[] = []
  if (was.enabled !== is.enabled) out.push(`alter table ${qname} ${is.enabled ? 'enable' : 'disable'} row level security;`)
  if (was.forced !== is.forced) out.push(`alter table ${qname} ${is.forced ? 'force' : 'no force'} row level security;`)
  return out
}

export const dropPolicy = (o: SnapshotObject) => `drop policy if exists ${facts(o).qname} on ${facts(o).qtable};`
export function createPolicy(o: SnapshotObject): string {
  const f = facts(o)
  const parts = [
    `create policy ${f.qname} on ${f.qtable}`,
    `as ${f.permissive ? 'permissive' : 'restrictive'}`,
    `for ${f.command}`,
    `to ${(f.qroles as string[]).join(', ')}`,
  ]
  if (f.using !== null) parts.push(`using (${f.using})`)
  if (f.check !== null) parts.push(`with check (${f.check})`)
  return `${dropPolicy(o)}\n${parts.join(' ')};`
}

// ---- privileges, comments, owners ----

/** GRANT what the live object has and the history does not; REVOKE the reverse. */
export function grantChanges(want: SnapshotObject | undefined, have: SnapshotObject | undefined): string[] {
  const o = (have ?? want)!
  const f = facts(o)
  const before = (want?.facts?.privileges ?? []) as Privilege[]
  const after = (have?.facts?.privileges ?? []) as Privilege[]
  const has = (list: Privilege[], p: Privilege) => list.some((q) => q.name === p.name && q.grantable === p.grantable)
  const revoked = before.filter((p) => !has(after, p))
  const granted = after.filter((p) => !has(before, p))
  const names = (list: Privilege[]) => list.map((p) => p.name + (f.column ? ` (${f.column})` : '')).join(', ')
  const out: string[] = []
  if (o.kind === 'default privileges') {
    const prefix = `alter default privileges${f.forRole ? ` for role ${f.forRole}` : ''}${f.inSchema ? ` in schema ${f.inSchema}` : ''}`
    if (revoked.length) out.push(`${prefix} revoke ${names(revoked)} on ${f.objects} from ${f.grantee};`)
    for (const [grantable, list] of split(granted))
      out.push(`${prefix} grant ${names(list)} on ${f.objects} to ${f.grantee}${grantable ? ' with grant option' : ''};`)
    return out
  }
  if (revoked.length) out.push(`revoke ${names(revoked)} on ${f.on} from ${f.grantee};`)
  for (const [grantable, list] of split(granted))
    out.push(`grant ${names(list)} on ${f.on} to ${f.grantee}${grantable ? ' with grant option' : ''};`)
  return out
}

function split(list: Privilege[]): [boolean, Privilege[]][] {
  const plain = list.filter((p) => !p.grantable)
  const grantable = list.filter((p) => p.grantable)
  return [
    [false, plain],
    [true, grantable],
  ].filter(([, l]) => (l as Privilege[]).length) as [boolean, Privilege[]][]
}

export const comment = (o: SnapshotObject, text: string | null) =>
  `comment on ${facts(o).target} is ${text === null ? 'null' : quoteLiteral(text)};`

export const owner = (o: SnapshotObject, role: string | undefined) => `alter ${facts(o).target} owner to ${role ?? 'current_user'};`
