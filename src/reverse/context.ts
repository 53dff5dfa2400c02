/**
 * What the reverse rules know while they read a history: the objects the earlier files made (with the
 * statement that made each, so a later DROP or CREATE OR REPLACE can be undone by restoring it), and,
 * per file, what this file created itself (whatever touches only those goes away with them).
 */
import { FileTokens, nameList, quoteIdentifier, signatureType, type Ast, type Scanner } from './sql-text.js'

export type ObjectKind =
  | 'table'
  | 'view'
  | 'materialized view'
  | 'sequence'
  | 'index'
  | 'foreign table'
  | 'type'
  | 'domain'
  | 'schema'
  | 'extension'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'trigger'
  | 'policy'
  | 'rule'
  | 'constraint'
  | 'role'
  | 'publication'
  | 'event trigger'
  | 'column'

export interface ColumnState {
  /** The default expression as written, or undefined for none. */
  default?: string
  /** serial columns and the like: a default the file does not spell out. */
  defaultUnknown?: boolean
  notNull: boolean
  /** The type, when it is one strata can write back: `varchar(20)`, `text`. */
  type?: string
  /** SET STATISTICS; undefined: the default (-1). */
  statistics?: number
}

/** A domain the files created: what ALTER DOMAIN can change, to change it back. */
export interface DomainState {
  default?: string
  notNull: boolean
  /** Named constraints, as `CONSTRAINT name CHECK (...)`. */
  constraints: Map<string, string>
}

export interface KnownObject {
  kind: ObjectKind
  /** The statement that made it, as written: what restores it. Empty when it cannot be restored from text. */
  text: string
  path: string
  line: number
  /** The table key of an index, trigger, policy, rule or constraint: dropping the table drops it too. */
  table?: string
  /** Tables: columns in order, primary key, row level security. */
  columns?: Map<string, ColumnState>
  primaryKey?: string[]
  rowSecurity?: boolean
  /** Functions: the result type, which CREATE OR REPLACE cannot change. */
  shape?: string
  /** Creation order in the history, to recreate dependent objects in an order that works. */
  seq?: number
  /** Storage parameters (fillfactor, autovacuum_*), as written: for tables, indexes, materialized views. */
  options?: Map<string, string>
  /** REPLICA IDENTITY as written (DEFAULT, FULL, NOTHING, USING INDEX i); undefined: DEFAULT. */
  replicaIdentity?: string
  /** The index of CLUSTER ON, if any. */
  clusterOn?: string
  /** Tables: the statements that changed it after its CREATE (ALTER TABLE, RENAME), in order. */
  alterations?: string[]
  domain?: DomainState
}

/** The model of the schema that the files before the current one have built. */
export class Catalog {
  readonly objects = new Map<string, KnownObject>()
  /** `objtype|object|privilege|grantee` for every privilege a GRANT gave and no REVOKE took back. */
  readonly grants = new Set<string>()
  readonly comments = new Map<string, string>()
  /** The GRANT and REVOKE statements on each object (one object per statement), in order: what restores them. */
  readonly privileges = new Map<string, string[]>()
  /** The COMMENT ON statements on each relation and its columns, by what they comment on: what restores them. */
  readonly commentTexts = new Map<string, Map<string, string>>()
  private order = 0

  next(): number {
    return ++this.order
  }

  /** Moves an object and everything keyed under it (its columns, triggers, constraints) to a new key. */
  rename(from: string, to: string): void {
    for (const map of [this.privileges, this.commentTexts] as Map<string, unknown>[]) {
      if (!map.has(from)) continue
      map.set(to, map.get(from))
      map.delete(from)
    }
    for (const [key, value] of [...this.objects]) {
      if (key === from) {
        this.objects.delete(key)
        this.objects.set(to, value)
      } else if (value.table === from) value.table = to
    }
    for (const [key, value] of [...this.objects]) {
      const prefix = `${from.replace(/^rel:/, '')}.`
      const [kind, rest] = splitKey(key)
      if (['trigger', 'policy', 'rule', 'constraint'].includes(kind) && rest.startsWith(prefix)) {
        this.objects.delete(key)
        this.objects.set(`${kind}:${to.replace(/^rel:/, '')}.${rest.slice(prefix.length)}`, value)
      }
    }
  }

  /** Forget an object and what depends on it. */
  forget(key: string): void {
    this.objects.delete(key)
    this.privileges.delete(key)
    this.commentTexts.delete(key)
    for (const [k, value] of [...this.objects]) if (value.table === key) this.objects.delete(k)
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(':')
  return [key.slice(0, i), key.slice(i + 1)]
}

export type Step =
  | { kind: 'sql'; sql: string[]; note?: string }
  | { kind: 'none'; note: string }
  /**
   * guardKey: a DROP IF EXISTS that a later create of this key in the same file turns into a mere guard.
   * prefill: what the history knows that would help the person writing the reverse (a dropped table's CREATE).
   */
  | { kind: 'irreversible'; what: string; why: string; guardKey?: string; prefill?: { note: string; sql: string[] } }

export const sqlStep = (sql: string | string[], note?: string): Step => ({ kind: 'sql', sql: Array.isArray(sql) ? sql : [sql], note })
export const noneStep = (note: string): Step => ({ kind: 'none', note })
export const irreversible = (what: string, why: string): Step => ({ kind: 'irreversible', what, why })

/** The text a statement's locations point into: the file, or the body of a DO block. */
export interface Source {
  text: string
  tokens: FileTokens
}

export interface Stmt {
  node: Ast
  kind: string
  text: string
  start: number
  end: number
  line: number
  source: Source
  /** Inside a DO block that catches duplicate_object (or checks the catalog first): a create that may have done nothing. */
  guarded?: boolean
}

export interface Library extends Scanner {
  parseSync(text: string): Ast
  parsePlPgSQLSync(text: string): Ast
}

/** Everything a rule needs while it reverses one statement of one file. */
export class FileContext {
  /** Keys this file created, with the line: later statements on them need no reverse of their own. */
  readonly createdHere = new Map<string, number>()
  /** Statements copied to the top of the stub because they shape name resolution (SET search_path). */
  readonly preamble: string[] = []
  defaultSchema = 'public'

  constructor(
    readonly lib: Library,
    readonly catalog: Catalog,
    readonly path: string,
    readonly noTransaction: boolean,
  ) {}

  quote = (name: string) => quoteIdentifier(this.lib, name)

  /** The schema an unqualified name resolves to, as far as the file tells. */
  schemaOf(schema: string | undefined): string {
    return schema ?? this.defaultSchema
  }

  relKey(rel: Ast | undefined): string {
    return `rel:${this.schemaOf(rel?.schemaname)}.${rel?.relname ?? ''}`
  }

  /** Key of a dotted name list (types, domains): `type:schema.name`. */
  listKey(prefix: string, names: string[]): string {
    const name = names[names.length - 1] ?? ''
    const schema = names.length > 1 ? names[names.length - 2] : undefined
    return `${prefix}:${this.schemaOf(schema)}.${name}`
  }

  onTableKey(prefix: string, rel: Ast | undefined, name: string): string {
    return `${prefix}:${this.schemaOf(rel?.schemaname)}.${rel?.relname ?? ''}.${name}`
  }

  functionKey(names: string[], argTypes: string[]): string {
    const name = names[names.length - 1] ?? ''
    const schema = names.length > 1 ? names[names.length - 2] : undefined
    return `function:${this.schemaOf(schema)}.${name}(${argTypes.join(',')})`
  }

  /** The key of an ObjectWithArgs (DROP FUNCTION f(int), GRANT ON FUNCTION ...): with its argument types, or the one known function of that name. */
  objectWithArgsKey(owa: Ast): string {
    const names = nameList(owa.objname)
    if (!owa.args_unspecified)
      return this.functionKey(
        names,
        (owa.objargs ?? []).map((t: Ast) => signatureType(this.lib, t.TypeName ?? t)),
      )
    const prefix = this.functionKey(names, []).replace(/\(\)$/, '(')
    const matches = [...this.catalog.objects.keys()].filter((k) => k.startsWith(prefix))
    return matches.length === 1 ? matches[0]! : `${prefix}?)`
  }

  known(key: string): KnownObject | undefined {
    return this.catalog.objects.get(key)
  }

  /** Record a create: in the model, and as made by this file. */
  created(key: string, stmt: Stmt, object: Omit<KnownObject, 'path' | 'line' | 'text'> & { text?: string }): void {
    this.catalog.objects.set(key, { text: stmt.text, path: this.path, line: stmt.line, seq: this.catalog.next(), ...object })
    this.createdHere.set(key, stmt.line)
  }

  /** Where this file created the object (or the table it hangs on), if it did. */
  coveredBy(key: string): number | undefined {
    const own = this.createdHere.get(key)
    if (own !== undefined) return own
    const table = this.known(key)?.table
    return table ? this.createdHere.get(table) : undefined
  }

  tableColumns(key: string): Map<string, ColumnState> | undefined {
    return this.known(key)?.columns
  }
}

/** Display of a key's object for notes: `app.users`. */
export function keyName(key: string): string {
  return splitKey(key)[1]
}
