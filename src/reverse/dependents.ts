/**
 * What Postgres removes without being told: the indexes, comments and grants of a dropped view or materialized
 * view, and everything a DROP ... CASCADE takes along (views on the view, triggers and policies that call the
 * function, defaults and checks that use it). The history knows how each of those was made, so a stub can make
 * them again, in an order that works; only what it cannot know stays a refusal.
 */
import type { Catalog, FileContext, KnownObject } from './context.js'
import { nameList, type Ast } from './sql-text.js'
import { visitRelations } from './rewrite.js'

/** Kinds whose definition is their whole content: recreating them from text brings them back as they were. */
const DEFINITIONS = new Set([
  'view',
  'materialized view',
  'trigger',
  'policy',
  'rule',
  'constraint',
  'index',
  'function',
  'procedure',
  'type',
  'domain',
])
/** Tables depend on a type through their columns (dropped with their values); on a function only through a default. */
const HOLDERS = new Set(['table', 'foreign table', 'sequence'])

// Parse trees of remembered statements, per history being reversed (asked for only when something depends on them).
const trees = new WeakMap<Catalog, Map<string, Ast | null>>()

function parse(ctx: FileContext, text: string): Ast | undefined {
  let parsed = trees.get(ctx.catalog)
  if (!parsed) trees.set(ctx.catalog, (parsed = new Map()))
  if (!parsed.has(text)) {
    try {
      parsed.set(text, ctx.lib.parseSync(text))
    } catch {
      parsed.set(text, null)
    }
  }
  return parsed.get(text) ?? undefined
}

/** `rel:app.v` -> { schema: app, name: v }; `function:app.f(int)` -> { schema: app, name: f }. */
function nameOf(key: string): { kind: string; schema: string; name: string } {
  const colon = key.indexOf(':')
  const kind = key.slice(0, colon)
  const rest = key.slice(colon + 1).replace(/\(.*$/, '')
  const dot = rest.indexOf('.')
  return { kind, schema: rest.slice(0, dot), name: rest.slice(dot + 1) }
}

/** Whether the statements that made `object` (a table's later ALTERs too) name the object `key`: a relation it reads, a function it calls, a type it uses. */
export function refersTo(ctx: FileContext, object: KnownObject, key: string): boolean {
  return [object.text, ...(object.alterations ?? [])].some((text) => text && textRefersTo(ctx, text, key))
}

function textRefersTo(ctx: FileContext, text: string, key: string): boolean {
  const tree = parse(ctx, text)
  if (!tree) return false
  const target = nameOf(key)
  let found = false
  if (target.kind === 'rel') {
    visitRelations(tree, (rel) => {
      found ||= rel.relname === target.name && (rel.schemaname ?? ctx.defaultSchema) === target.schema
    })
  } else {
    const matches = (names: string[]) => {
      const name = names[names.length - 1]
      const schema = names.length > 1 ? names[names.length - 2] : undefined
      found ||= name === target.name && (schema === undefined || schema === target.schema)
    }
    if (target.kind === 'function') visitCalls(tree, matches)
    if (target.kind === 'type') visitTypes(tree, matches)
  }
  return found
}

function visitTypes(node: unknown, visit: (names: string[]) => void): void {
  if (Array.isArray(node)) return node.forEach((item) => visitTypes(item, visit))
  if (!node || typeof node !== 'object') return
  const record = node as Ast
  if (Array.isArray(record.names) && 'typemod' in record) visit(nameList(record.names))
  for (const value of Object.values(record)) visitTypes(value, visit)
}

/** Function names a tree calls: in expressions, and the function a trigger executes. */
function visitCalls(node: unknown, visit: (names: string[]) => void): void {
  if (Array.isArray(node)) return node.forEach((item) => visitCalls(item, visit))
  if (!node || typeof node !== 'object') return
  const record = node as Ast
  if (record.FuncCall) visit(nameList(record.FuncCall.funcname))
  if (record.CreateTrigStmt) visit(nameList(record.CreateTrigStmt.funcname))
  for (const value of Object.values(record)) visitCalls(value, visit)
}

/**
 * The objects that depend on `key` (and on those, and so on), in an order they can be created in: an object
 * comes after everything in the set it refers to, and otherwise in the order the history made them.
 * Objects that hang on a relation (its indexes, triggers, rules) come with it in `restoreStatements`, not here.
 */
export function dependentsOf(ctx: FileContext, key: string): string[] {
  const found = new Set<string>()
  const queue = [key]
  while (queue.length) {
    const current = queue.shift()!
    for (const [candidate, object] of ctx.catalog.objects) {
      if (candidate === key || found.has(candidate) || object.table === current) continue
      if (HOLDERS.has(object.kind) && nameOf(current).kind !== 'type') continue
      if (refersTo(ctx, object, current)) {
        found.add(candidate)
        queue.push(candidate)
      }
    }
  }
  return order(ctx, [...found])
}

function order(ctx: FileContext, keys: string[]): string[] {
  const bySeq = [...keys].sort((a, b) => (ctx.known(a)?.seq ?? 0) - (ctx.known(b)?.seq ?? 0))
  const done: string[] = []
  const placed = new Set<string>()
  const place = (key: string, path: Set<string>) => {
    if (placed.has(key) || path.has(key)) return
    path.add(key)
    for (const other of bySeq) if (other !== key && refersTo(ctx, ctx.known(key)!, other)) place(other, path)
    placed.add(key)
    done.push(key)
  }
  for (const key of bySeq) place(key, new Set())
  return done
}

/** `ALTER TABLE ... SET DEFAULT` for the column defaults that call the function `key` (DROP FUNCTION ... CASCADE drops them). */
export function defaultsUsing(ctx: FileContext, key: string): string[] {
  const { kind, name } = nameOf(key)
  if (kind !== 'function') return []
  const calls = new RegExp(`(^|[^\\w$"])"?${name.replace(/[^\w$]/g, '')}"?\\s*\\(`, 'i')
  const out: string[] = []
  for (const [table, object] of ctx.catalog.objects) {
    for (const [column, state] of object.columns ?? []) {
      if (state.default && calls.test(state.default)) {
        const { schema, name: relation } = nameOf(table)
        out.push(`ALTER TABLE ${ctx.quote(schema)}.${ctx.quote(relation)} ALTER COLUMN ${ctx.quote(column)} SET DEFAULT ${state.default}`)
      }
    }
  }
  return out
}

/** What cannot be made again from its text: an object that holds rows, or one whose definition is not known. */
export function lostWith(ctx: FileContext, keys: string[]): string | undefined {
  for (const key of keys) {
    const object = ctx.known(key)
    if (!object || !DEFINITIONS.has(object.kind)) return `${describe(key)} holds data that dropping it destroyed`
    if (!object.text) return `the definition of ${describe(key)} is not known from the files`
  }
  return undefined
}

/**
 * The statements that make an object again as the history left it: its CREATE, then what Postgres drops with it
 * (a materialized view's indexes, a view's triggers and rules, comments on it and its columns, grants on it).
 */
export function restoreStatements(ctx: FileContext, key: string): string[] {
  const object = ctx.known(key)
  if (!object?.text) return []
  const own = [object.text]
  for (const [, part] of ctx.catalog.objects) {
    if (part.table === key && part.text && ['index', 'trigger', 'rule'].includes(part.kind)) own.push(part.text)
  }
  own.push(...(ctx.catalog.commentTexts.get(key)?.values() ?? []))
  own.push(...(ctx.catalog.privileges.get(key) ?? []))
  // An index made CONCURRENTLY comes back inside the stub's transaction unless the stub runs without one.
  return ctx.noTransaction ? own : own.map((text) => text.replace(/^(CREATE\s+(?:UNIQUE\s+)?INDEX\s+)CONCURRENTLY\s+/i, '$1'))
}

/** How a key reads in a note: `view app.v`. */
export function describe(key: string): string {
  const { kind, schema, name } = nameOf(key)
  return `${kind === 'rel' ? 'relation' : kind} ${schema}.${name}`
}

/** DROP statements for objects, last made first (their dependents are in the list after them). */
export function dropStatements(ctx: FileContext, keys: string[]): string[] {
  return [...keys].reverse().flatMap((key) => {
    const object = ctx.known(key)
    if (!object) return []
    const { schema, name } = nameOf(key)
    const word = object.kind === 'materialized view' ? 'MATERIALIZED VIEW' : object.kind === 'view' ? 'VIEW' : undefined
    return word ? [`DROP ${word} IF EXISTS ${ctx.quote(schema)}.${ctx.quote(name)}`] : []
  })
}
