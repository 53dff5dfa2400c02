/**
 * The objects that applied files leave behind: walk their parsed statements in order, add what each creates
 * (with the file and line that creates it), follow renames, and remove what a later statement drops.
 * Pure: parsed statements in, expected objects out; the catalog check is in check.ts.
 *
 * What a file alone cannot tell is not guessed: objects created inside DO blocks or by dynamic SQL are not
 * expected, and each such statement is listed as `unchecked` with its file and line. Objects such a statement
 * may have renamed or dropped (a DO block, or a call of a function of the files that runs DDL, that names them)
 * are marked `uncertain`: if they are gone, verify lists them as unchecked, with the reason, never as missing.
 */
import type { Statement } from '../sql/index.js'
import { strings, typeRef, typeText, isSerial, type TypeRef } from './sql-names.js'

export type ExpectedKind =
  | 'schema'
  | 'extension'
  | 'table'
  | 'view'
  | 'materialized view'
  | 'sequence'
  | 'index'
  | 'column'
  | 'constraint'
  | 'function'
  | 'procedure'
  | 'type'
  | 'domain'
  | 'enum value'
  | 'policy'
  | 'trigger'
  | 'row level security'

export interface Origin {
  file: string
  line: number
  version: number
}

export interface ExpectedObject {
  kind: ExpectedKind
  schema: string
  name: string
  /** The table (or enum type) a column, constraint, index, policy, trigger or enum value belongs to. */
  parent?: string
  origin: Origin
  column?: { type?: TypeRef; notNull?: boolean }
  constraint?: { type: 'p' | 'u' | 'f' | 'c' | 'x'; columns: string[]; named: boolean; references?: string }
  index?: { columns: (string | null)[]; refs: string[]; named: boolean }
  routine?: { args: TypeRef[] }
  trigger?: { fn: string }
  /** Relations a view's query reads (schema.name), so that DROP ... CASCADE can take the view with it. */
  reads?: string[]
  /** Why its absence proves nothing: a later DO block or function call that Strata cannot follow names it. */
  uncertain?: string
}

export interface Unchecked {
  file: string
  line: number
  version: number
  statement: string
  reason: string
}

const RELATION_KINDS: ExpectedKind[] = ['table', 'view', 'materialized view', 'sequence', 'index']
const TABLE_CHILDREN: ExpectedKind[] = ['column', 'constraint', 'policy', 'trigger', 'row level security']
const NAMEDATALEN = 63

export function keyOf(o: ExpectedObject): string {
  switch (o.kind) {
    case 'schema':
    case 'extension':
      return `${o.kind} ${o.name}`
    case 'column':
    case 'constraint':
    case 'policy':
    case 'trigger':
      return `${o.kind} ${o.schema}.${o.parent}.${o.name}`
    case 'row level security':
      return `${o.kind} ${o.schema}.${o.parent}`
    case 'enum value':
      return `enum value ${o.schema}.${o.parent} '${o.name}'`
    case 'function':
    case 'procedure':
      return `${o.kind} ${o.schema}.${o.name}(${o.routine!.args.map(typeText).join(', ')})`
    default:
      return `${o.kind} ${o.schema}.${o.name}`
  }
}

type N = Record<string, any>

/**
 * The expected schema, built statement by statement.
 * @param searchPath the database's search_path as current_schemas(false) reports it; unqualified names
 *   are created in its first schema and looked up through all of it, like the server does.
 */
export class ExpectedSchema {
  private objects = new Map<string, ExpectedObject>()
  readonly unchecked: Unchecked[] = []
  /** Bodies of the functions the files create, by `schema.name`: calling one may change objects too. */
  private bodies = new Map<string, string>()
  private path: string[]
  private origin!: Origin

  constructor(private readonly databasePath: string[]) {
    this.path = databasePath
  }

  list(): ExpectedObject[] {
    return [...this.objects.values()]
  }

  /**
   * One file's statements, in order, handed to `add` as they are parsed (nothing here keeps a syntax tree).
   * A `SET search_path` inside a file lasts until the end of that file.
   */
  addFile<T>(file: { path: string; version: number }, statements: (add: (statement: Statement) => void) => T): T {
    this.path = this.databasePath
    return statements((stmt) => {
      this.origin = { file: file.path, line: stmt.line, version: file.version }
      this.statement(stmt.node as N, stmt.kind)
    })
  }

  /** A file that does not parse: none of its objects can be expected. */
  addUnparsable(file: { path: string; version: number }, line: number, message: string): void {
    this.unchecked.push({
      file: file.path,
      line,
      version: file.version,
      statement: 'file',
      reason: `does not parse (${message}); its objects are not checked`,
    })
  }

  private statement(node: N, kind: string): void {
    const body = node[kind]
    const handler = (this.handlers as Record<string, ((n: N) => void) | undefined>)[kind]
    if (handler) handler.call(this, body)
  }

  private handlers = {
    CreateSchemaStmt(this: ExpectedSchema, n: N) {
      const exists = this.objects.has(`schema ${n.schemaname}`)
      if (!(exists && n.if_not_exists)) this.add({ kind: 'schema', schema: n.schemaname, name: n.schemaname })
      // CREATE SCHEMA s CREATE TABLE t ...: the elements are created inside s.
      const saved = this.path
      this.path = [n.schemaname, ...saved]
      for (const element of n.schemaElts ?? []) this.statement(element, Object.keys(element)[0])
      this.path = saved
    },
    CreateStmt(this: ExpectedSchema, n: N) {
      this.createTable(n)
    },
    CreateForeignTableStmt(this: ExpectedSchema, n: N) {
      this.createTable(n.base)
    },
    CreateTableAsStmt(this: ExpectedSchema, n: N) {
      const rel = n.into?.rel
      if (!rel || rel.relpersistence === 't') return
      const kind: ExpectedKind = n.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table'
      const schema = rel.schemaname ?? this.creationSchema()
      if (n.if_not_exists && this.relation(schema, rel.relname)) return
      this.add({ kind, schema, name: rel.relname, reads: this.reads(n.query) })
    },
    SelectStmt(this: ExpectedSchema, n: N) {
      const rel = n.intoClause?.rel
      if (rel && rel.relpersistence !== 't') this.add({ kind: 'table', schema: rel.schemaname ?? this.creationSchema(), name: rel.relname })
      else this.searchPathFromSetConfig(n)
      this.followCalls(n)
    },
    ViewStmt(this: ExpectedSchema, n: N) {
      if (n.view.relpersistence === 't') return
      this.add({ kind: 'view', schema: n.view.schemaname ?? this.creationSchema(), name: n.view.relname, reads: this.reads(n.query) })
    },
    CreateSeqStmt(this: ExpectedSchema, n: N) {
      const rv = n.sequence
      if (rv.relpersistence === 't') return
      const schema = rv.schemaname ?? this.creationSchema()
      if (n.if_not_exists && this.relation(schema, rv.relname)) return
      this.add({ kind: 'sequence', schema, name: rv.relname })
    },
    IndexStmt(this: ExpectedSchema, n: N) {
      this.createIndex(n)
    },
    AlterTableStmt(this: ExpectedSchema, n: N) {
      this.alterTable(n)
    },
    RenameStmt(this: ExpectedSchema, n: N) {
      this.rename(n)
    },
    AlterObjectSchemaStmt(this: ExpectedSchema, n: N) {
      this.setSchema(n)
    },
    DropStmt(this: ExpectedSchema, n: N) {
      this.drop(n)
    },
    CreateFunctionStmt(this: ExpectedSchema, n: N) {
      const { schema, name } = this.qualified(strings(n.funcname))
      const args = (n.parameters ?? [])
        .map((p: N) => p.FunctionParameter)
        .filter((p: N) => !['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE'].includes(p.mode))
        .map((p: N) => this.resolveType(typeRef(p.argType)))
      const body = bodyOf(n.options)
      if (body && CHANGES_OBJECTS.test(body)) this.bodies.set(`${schema}.${name}`, body)
      if (args.some((a: TypeRef | undefined) => !a))
        return this.skip('CREATE FUNCTION', 'an argument type written as %TYPE cannot be resolved from the file')
      this.add({ kind: n.is_procedure ? 'procedure' : 'function', schema, name, routine: { args } })
    },
    CallStmt(this: ExpectedSchema, n: N) {
      this.followCalls(n)
    },
    CreateEnumStmt(this: ExpectedSchema, n: N) {
      const { schema, name } = this.qualified(strings(n.typeName))
      this.removeWhere((o) => o.kind === 'enum value' && o.schema === schema && o.parent === name)
      this.add({ kind: 'type', schema, name })
      for (const label of strings(n.vals)) this.add({ kind: 'enum value', schema, parent: name, name: label })
    },
    AlterEnumStmt(this: ExpectedSchema, n: N) {
      const { schema, name } = this.typeName(strings(n.typeName))
      if (n.oldVal) {
        const value = this.objects.get(`enum value ${schema}.${name} '${n.oldVal}'`)
        if (value) this.mutate(value, () => (value.name = n.newVal))
        return
      }
      if (n.skipIfNewValExists && this.objects.has(`enum value ${schema}.${name} '${n.newVal}'`)) return
      this.add({ kind: 'enum value', schema, parent: name, name: n.newVal })
    },
    CompositeTypeStmt(this: ExpectedSchema, n: N) {
      this.add({ kind: 'type', schema: n.typevar.schemaname ?? this.creationSchema(), name: n.typevar.relname })
    },
    CreateRangeStmt(this: ExpectedSchema, n: N) {
      this.add({ kind: 'type', ...this.qualified(strings(n.typeName)) })
    },
    CreateDomainStmt(this: ExpectedSchema, n: N) {
      this.add({ kind: 'domain', ...this.qualified(strings(n.domainname)) })
    },
    CreatePolicyStmt(this: ExpectedSchema, n: N) {
      const table = this.tableOf(n.table)
      this.add({ kind: 'policy', schema: table.schema, parent: table.name, name: n.policy_name })
    },
    CreateTrigStmt(this: ExpectedSchema, n: N) {
      const table = this.tableOf(n.relation)
      const fn = this.routineName(strings(n.funcname))
      this.add({ kind: 'trigger', schema: table.schema, parent: table.name, name: n.trigname, trigger: { fn: `${fn.schema}.${fn.name}` } })
    },
    CreateExtensionStmt(this: ExpectedSchema, n: N) {
      const schemaOption = (n.options ?? []).find((o: N) => o.DefElem?.defname === 'schema')
      const schema = schemaOption?.DefElem.arg?.String?.sval ?? this.creationSchema()
      if (n.if_not_exists && this.objects.has(`extension ${n.extname}`)) return
      this.add({ kind: 'extension', schema, name: n.extname })
    },
    DoStmt(this: ExpectedSchema, n: N) {
      this.skip('DO', 'objects created inside a DO block cannot be known without running it')
      this.mentionedIn(
        bodyOf(n.args) ?? '',
        `the DO block at ${this.origin.file}:${this.origin.line} names it, and Strata does not follow DO blocks`,
      )
    },
    VariableSetStmt(this: ExpectedSchema, n: N) {
      if (n.name !== 'search_path') return
      if (n.kind === 'VAR_SET_VALUE')
        this.path = this.cleanPath((n.args ?? []).map((a: N) => a.A_Const?.sval?.sval ?? a.A_Const?.String?.sval ?? ''))
      else if (n.kind === 'VAR_SET_DEFAULT' || n.kind === 'VAR_RESET' || n.kind === 'VAR_RESET_ALL') this.path = this.databasePath
    },
  }

  // ---- creating ----

  private createTable(n: N) {
    const rv = n.relation
    if (rv.relpersistence === 't') return
    const schema = rv.schemaname ?? this.creationSchema()
    if (n.if_not_exists && this.relation(schema, rv.relname)) return
    const table = { schema, name: rv.relname }
    this.removeWhere((o) => TABLE_CHILDREN.includes(o.kind) && o.schema === schema && o.parent === rv.relname)
    this.add({ kind: 'table', ...table })
    for (const element of n.tableElts ?? []) {
      if (element.ColumnDef) this.addColumn(table, element.ColumnDef)
      else if (element.Constraint) this.addConstraint(table, element.Constraint)
    }
    this.dropUniqueSameAsPrimaryKey(table)
  }

  /** `id uuid unique primary key`: Postgres builds one index for both, and keeps only the primary key. */
  private dropUniqueSameAsPrimaryKey(table: QName) {
    const own = this.list().filter((o) => o.kind === 'constraint' && o.schema === table.schema && o.parent === table.name)
    const primary = own.find((o) => o.constraint!.type === 'p')
    if (!primary) return
    const columns = primary.constraint!.columns.join(',')
    for (const o of own)
      if (o.constraint!.type === 'u' && !o.constraint!.named && o.constraint!.columns.join(',') === columns) this.remove(o)
  }

  private addColumn(table: QName, def: N) {
    const constraints: N[] = (def.constraints ?? []).map((c: N) => c.Constraint)
    const has = (type: string) => constraints.some((c) => c.contype === type)
    // A new column is nullable unless something in its definition says otherwise.
    const notNull = has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY') || has('CONSTR_IDENTITY') || isSerial(def.typeName)
    this.add({
      kind: 'column',
      schema: table.schema,
      parent: table.name,
      name: def.colname,
      column: { type: this.resolveType(typeRef(def.typeName)), notNull },
    })
    for (const c of constraints) this.addConstraint(table, c, def.colname)
  }

  private addConstraint(table: QName, c: N, column?: string) {
    const type = CONSTRAINT_TYPES[c.contype]
    if (!type) return
    let columns: string[] =
      type === 'f'
        ? strings(c.fk_attrs)
        : type === 'p' || type === 'u'
          ? strings(c.keys)
          : type === 'x'
            ? (c.exclusions ?? []).flatMap((e: N) => (e.List?.items?.[0]?.IndexElem?.name ? [e.List.items[0].IndexElem.name] : []))
            : columnRefs(c.raw_expr)
    if (column && !columns.length) columns = [column]
    if (c.indexname) {
      // ADD CONSTRAINT ... USING INDEX i: the index becomes the constraint's and takes its name.
      const index = this.objects.get(`index ${table.schema}.${c.indexname}`)
      if (index) {
        columns = index.index!.columns.filter((x): x is string => !!x)
        this.remove(index)
      }
    }
    if (type === 'p') for (const col of columns) this.setNotNull(table, col, true)
    const name = c.conname ?? defaultConstraintName(table.name, type, columns)
    const references = c.pktable ? this.qualifiedRelation(c.pktable) : undefined
    this.add({
      kind: 'constraint',
      schema: table.schema,
      parent: table.name,
      name,
      constraint: { type, columns, named: !!c.conname || !!c.indexname, references },
    })
  }

  private createIndex(n: N) {
    const table = this.tableOf(n.relation)
    const columns: (string | null)[] = (n.indexParams ?? []).map((p: N) => p.IndexElem?.name ?? null)
    const refs = [...columns.filter((c): c is string => !!c), ...columnRefs(n.indexParams), ...columnRefs(n.whereClause)]
    const name = n.idxname ?? defaultIndexName(table.name, n.indexParams ?? [])
    if (n.if_not_exists && this.relation(table.schema, name)) return
    this.add({ kind: 'index', schema: table.schema, parent: table.name, name, index: { columns, refs, named: !!n.idxname } })
  }

  // ---- altering ----

  private alterTable(n: N) {
    if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_FOREIGN_TABLE') return
    const table = this.tableOf(n.relation)
    // ALTER TABLE IF EXISTS on a table no file created: it may well not exist, so expect nothing of it.
    if (n.missing_ok && !this.relation(table.schema, table.name)) return
    for (const item of n.cmds ?? []) {
      const cmd = item.AlterTableCmd
      if (!cmd) continue
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          if (cmd.missing_ok && this.column(table, cmd.def.ColumnDef.colname)) break
          this.addColumn(table, cmd.def.ColumnDef)
          break
        case 'AT_DropColumn':
          this.dropColumn(table, cmd.name)
          break
        case 'AT_AddConstraint':
          this.addConstraint(table, cmd.def.Constraint)
          break
        case 'AT_DropConstraint':
          this.dropConstraint(table, cmd.name)
          break
        case 'AT_AlterColumnType': {
          const col = this.column(table, cmd.name)
          if (col) col.column = { ...col.column, type: this.resolveType(typeRef(cmd.def?.ColumnDef?.typeName)) }
          break
        }
        case 'AT_SetNotNull':
        case 'AT_AddIdentity':
          this.setNotNull(table, cmd.name, true)
          break
        case 'AT_DropNotNull':
          this.setNotNull(table, cmd.name, false)
          break
        case 'AT_EnableRowSecurity':
          this.add({ kind: 'row level security', schema: table.schema, parent: table.name, name: table.name })
          break
        case 'AT_DisableRowSecurity':
          this.removeWhere((o) => o.kind === 'row level security' && o.schema === table.schema && o.parent === table.name)
          break
      }
    }
  }

  private dropColumn(table: QName, column: string) {
    const own = (o: ExpectedObject) => o.schema === table.schema && o.parent === table.name
    // Postgres drops the indexes and constraints that use the column along with it.
    this.removeWhere(
      (o) =>
        own(o) &&
        ((o.kind === 'column' && o.name === column) ||
          (o.kind === 'constraint' && o.constraint!.columns.includes(column)) ||
          (o.kind === 'index' && o.index!.refs.includes(column))),
    )
  }

  private dropConstraint(table: QName, name: string) {
    const constraint = this.objects.get(`constraint ${table.schema}.${table.name}.${name}`)
    if (!constraint) return
    // Whether NOT NULL outlives a dropped primary key differs between server versions: stop expecting either.
    if (constraint.constraint!.type === 'p') for (const col of constraint.constraint!.columns) this.setNotNull(table, col, undefined)
    this.remove(constraint)
  }

  private setNotNull(table: QName, column: string, value: boolean | undefined) {
    const col = this.column(table, column)
    if (col) col.column = { ...col.column, notNull: value }
  }

  // ---- renaming and moving ----

  private rename(n: N) {
    switch (n.renameType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_SEQUENCE':
      case 'OBJECT_FOREIGN_TABLE':
      case 'OBJECT_INDEX':
        return this.renameRelation(n.relation, n.newname)
      case 'OBJECT_COLUMN':
        return this.renameColumn(this.tableOf(n.relation), n.subname, n.newname)
      case 'OBJECT_TABCONSTRAINT': {
        const table = this.tableOf(n.relation)
        const c = this.objects.get(`constraint ${table.schema}.${table.name}.${n.subname}`)
        if (c) this.mutate(c, () => (c.name = n.newname))
        return
      }
      case 'OBJECT_POLICY':
      case 'OBJECT_TRIGGER': {
        const table = this.tableOf(n.relation)
        const kind = n.renameType === 'OBJECT_POLICY' ? 'policy' : 'trigger'
        const o = this.objects.get(`${kind} ${table.schema}.${table.name}.${n.subname}`)
        if (o) this.mutate(o, () => (o.name = n.newname))
        return
      }
      case 'OBJECT_SCHEMA': {
        const inSchema = (t?: TypeRef) => t?.schema === n.subname
        const moved = (t: TypeRef) => (inSchema(t) ? { ...t, schema: n.newname } : t)
        // Types move with their schema, so columns and arguments of those types follow too.
        return this.mutateAll(
          (o) => o.schema === n.subname || inSchema(o.column?.type) || !!o.routine?.args.some(inSchema),
          (o) => {
            if (o.kind === 'schema' && o.name === n.subname) o.name = n.newname
            if (o.schema === n.subname) o.schema = n.newname
            if (o.column?.type) o.column.type = moved(o.column.type)
            if (o.routine) o.routine.args = o.routine.args.map(moved)
          },
        )
      }
      case 'OBJECT_TYPE':
      case 'OBJECT_DOMAIN':
        return this.moveType(this.typeName(strings(n.object?.List?.items)), { name: n.newname })
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
      case 'OBJECT_ROUTINE':
        for (const r of this.routines(n.object.ObjectWithArgs)) this.mutate(r, () => (r.name = n.newname))
        return
    }
  }

  private renameRelation(rv: N, newName: string) {
    const rel = this.relation(rv.schemaname, rv.relname)
    if (!rel) return this.renameConstraintIndex(rv, newName)
    const { schema, name } = rel
    if (rel.kind === 'index') return this.mutate(rel, () => (rel.name = newName))
    this.mutateAll(
      (o) => o === rel || (o.schema === schema && o.parent === name && (TABLE_CHILDREN.includes(o.kind) || o.kind === 'index')),
      (o) => {
        if (o === rel) o.name = newName
        else o.parent = newName
      },
    )
  }

  /** ALTER INDEX on the index behind a primary key, unique or exclusion constraint renames the constraint too. */
  private renameConstraintIndex(rv: N, newName: string) {
    const schemas = rv.schemaname ? [rv.schemaname] : this.path
    const constraint = this.list().find(
      (o) => o.kind === 'constraint' && schemas.includes(o.schema) && o.name === rv.relname && ['p', 'u', 'x'].includes(o.constraint!.type),
    )
    if (constraint) this.mutate(constraint, () => (constraint.name = newName))
  }

  private renameColumn(table: QName, from: string, to: string) {
    const col = this.column(table, from)
    if (col) this.mutate(col, () => (col.name = to))
    for (const o of this.list()) {
      if (o.schema !== table.schema || o.parent !== table.name) continue
      if (o.constraint) o.constraint.columns = o.constraint.columns.map((c) => (c === from ? to : c))
      if (o.index) {
        o.index.columns = o.index.columns.map((c) => (c === from ? to : c))
        o.index.refs = o.index.refs.map((c) => (c === from ? to : c))
      }
    }
  }

  private setSchema(n: N) {
    const to = n.newschema
    switch (n.objectType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_SEQUENCE':
      case 'OBJECT_FOREIGN_TABLE': {
        const rel = this.relation(n.relation.schemaname, n.relation.relname)
        if (!rel) return
        const { schema, name } = rel
        // A table moves with its columns, constraints, indexes, policies and triggers.
        return this.mutateAll(
          (o) => o === rel || (o.schema === schema && o.parent === name && o.kind !== 'enum value'),
          (o) => (o.schema = to),
        )
      }
      case 'OBJECT_TYPE':
      case 'OBJECT_DOMAIN':
        return this.moveType(this.typeName(strings(n.object?.List?.items)), { schema: to })
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
      case 'OBJECT_ROUTINE':
        for (const r of this.routines(n.object.ObjectWithArgs)) this.mutate(r, () => (r.schema = to))
        return
    }
  }

  /** Rename or move a type: its enum values and every column and argument of that type follow it. */
  private moveType(from: QName, to: { schema?: string; name?: string }) {
    const target = { schema: to.schema ?? from.schema, name: to.name ?? from.name }
    const sameType = (t?: TypeRef) => !!t && t.schema === from.schema && t.name === from.name
    this.mutateAll(
      (o) =>
        ((o.kind === 'type' || o.kind === 'domain') && o.schema === from.schema && o.name === from.name) ||
        (o.kind === 'enum value' && o.schema === from.schema && o.parent === from.name) ||
        sameType(o.column?.type) ||
        !!o.routine?.args.some(sameType),
      (o) => {
        if (o.kind === 'type' || o.kind === 'domain') Object.assign(o, target)
        else if (o.kind === 'enum value') Object.assign(o, { schema: target.schema, parent: target.name })
        if (o.column?.type && sameType(o.column.type)) o.column.type = { ...o.column.type, ...target }
        if (o.routine) o.routine.args = o.routine.args.map((a) => (sameType(a) ? { ...a, ...target } : a))
      },
    )
  }

  // ---- dropping ----

  private drop(n: N) {
    const cascade = n.behavior === 'DROP_CASCADE'
    for (const object of n.objects ?? []) {
      switch (n.removeType) {
        case 'OBJECT_TABLE':
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
        case 'OBJECT_SEQUENCE':
        case 'OBJECT_FOREIGN_TABLE':
        case 'OBJECT_INDEX': {
          const { schema, name } = this.qualified(strings(object.List?.items), false)
          const rel = this.relation(schema, name)
          if (rel) this.dropRelation(rel, cascade)
          break
        }
        case 'OBJECT_SCHEMA': {
          const name = object.String?.sval
          this.removeWhere((o) => o.schema === name || (o.kind === 'schema' && o.name === name))
          break
        }
        case 'OBJECT_EXTENSION':
          this.removeWhere((o) => o.kind === 'extension' && o.name === object.String?.sval)
          break
        case 'OBJECT_TYPE':
        case 'OBJECT_DOMAIN':
          this.dropType(this.typeName(strings(object.TypeName?.names)), cascade)
          break
        case 'OBJECT_FUNCTION':
        case 'OBJECT_PROCEDURE':
        case 'OBJECT_ROUTINE':
          for (const r of this.routines(object.ObjectWithArgs)) {
            this.remove(r)
            if (cascade) this.removeWhere((o) => o.kind === 'trigger' && o.trigger!.fn === `${r.schema}.${r.name}`)
          }
          break
        case 'OBJECT_POLICY':
        case 'OBJECT_TRIGGER': {
          const parts = strings(object.List?.items)
          const name = parts.pop()!
          const table = this.tableOf({ relname: parts.pop(), schemaname: parts.pop() })
          const kind = n.removeType === 'OBJECT_POLICY' ? 'policy' : 'trigger'
          this.removeWhere((o) => o.kind === kind && o.schema === table.schema && o.parent === table.name && o.name === name)
          break
        }
      }
    }
  }

  private dropRelation(rel: ExpectedObject, cascade: boolean) {
    const { schema, name } = rel
    const qualified = `${schema}.${name}`
    this.removeWhere(
      (o) =>
        o === rel ||
        (rel.kind !== 'index' && o.schema === schema && o.parent === name && (TABLE_CHILDREN.includes(o.kind) || o.kind === 'index')),
    )
    if (!cascade) return
    // CASCADE also takes foreign keys that point here and views that read from here (and theirs, in turn).
    this.removeWhere((o) => o.kind === 'constraint' && o.constraint!.references === qualified)
    for (const view of this.list().filter((o) => o.reads?.includes(qualified))) this.dropRelation(view, true)
  }

  private dropType(type: QName, cascade: boolean) {
    const sameType = (t?: TypeRef) => !!t && t.schema === type.schema && t.name === type.name
    this.removeWhere(
      (o) =>
        ((o.kind === 'type' || o.kind === 'domain') && o.schema === type.schema && o.name === type.name) ||
        (o.kind === 'enum value' && o.schema === type.schema && o.parent === type.name) ||
        (cascade && (sameType(o.column?.type) || !!o.routine?.args.some(sameType))),
    )
  }

  // ---- names ----

  /** Where an unqualified CREATE puts its object: the first schema of the search_path. */
  private creationSchema(): string {
    return this.path[0] ?? 'public'
  }

  private qualified(parts: string[], creating = true): QName & { schema: string } {
    const name = parts[parts.length - 1]
    const schema =
      parts.length > 1
        ? parts[parts.length - 2]
        : creating
          ? this.creationSchema()
          : (this.lookup(name, RELATION_KINDS)?.schema ?? this.creationSchema())
    return { schema, name }
  }

  /** An unqualified name resolves to the first schema of the search_path that has it, as on the server. */
  private lookup(name: string, kinds: ExpectedKind[]): ExpectedObject | undefined {
    for (const schema of this.path) {
      for (const kind of kinds) {
        const o = this.objects.get(`${kind} ${schema}.${name}`)
        if (o) return o
      }
    }
    return undefined
  }

  private relation(schema: string | undefined, name: string): ExpectedObject | undefined {
    if (!schema) return this.lookup(name, RELATION_KINDS)
    for (const kind of RELATION_KINDS) {
      const o = this.objects.get(`${kind} ${schema}.${name}`)
      if (o) return o
    }
    return undefined
  }

  private tableOf(rv: N): QName {
    if (rv.schemaname) return { schema: rv.schemaname, name: rv.relname }
    return { schema: this.lookup(rv.relname, RELATION_KINDS)?.schema ?? this.creationSchema(), name: rv.relname }
  }

  private qualifiedRelation(rv: N): string {
    const t = this.tableOf(rv)
    return `${t.schema}.${t.name}`
  }

  private typeName(parts: string[]): QName {
    const name = parts[parts.length - 1]
    if (parts.length > 1) return { schema: parts[parts.length - 2], name }
    return { schema: this.lookup(name, ['type', 'domain'])?.schema ?? this.creationSchema(), name }
  }

  private routineName(parts: string[]): QName {
    const name = parts[parts.length - 1]
    if (parts.length > 1) return { schema: parts[parts.length - 2], name }
    const found = this.path.find((schema) =>
      this.list().some((o) => (o.kind === 'function' || o.kind === 'procedure') && o.schema === schema && o.name === name),
    )
    return { schema: found ?? this.creationSchema(), name }
  }

  /** A type the files created gets its schema; any other unqualified type is left for the server's search_path. */
  private resolveType(t: TypeRef | undefined): TypeRef | undefined {
    if (!t || t.schema) return t
    const own = this.lookup(t.name, ['type', 'domain'])
    return own ? { ...t, schema: own.schema } : t
  }

  private column(table: QName, name: string): ExpectedObject | undefined {
    return this.objects.get(`column ${table.schema}.${table.name}.${name}`)
  }

  /** The routines an ObjectWithArgs names: one signature, or all overloads when no arguments are given. */
  private routines(o: N): ExpectedObject[] {
    const { schema, name } = this.routineName(strings(o.objname))
    const candidates = this.list().filter(
      (r) => (r.kind === 'function' || r.kind === 'procedure') && r.schema === schema && r.name === name,
    )
    if (o.args_unspecified) return candidates
    const args: N[] =
      o.objfuncargs ?? (o.objargs ?? []).map((t: N) => ({ FunctionParameter: { argType: t.TypeName, mode: 'FUNC_PARAM_DEFAULT' } }))
    const wanted = args
      .map((a) => a.FunctionParameter)
      .filter((p) => p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE')
      .map((p) => this.resolveType(typeRef(p.argType ?? p.TypeName)))
      .map((t) => (t ? typeText(t) : '?'))
      .join(', ')
    return candidates.filter((r) => r.routine!.args.map(typeText).join(', ') === wanted)
  }

  private reads(query: N): string[] {
    const found: string[] = []
    walk(query, (node) => {
      if (node.RangeVar) found.push(this.qualifiedRelation(node.RangeVar))
    })
    return found
  }

  private cleanPath(values: string[]): string[] {
    const schemas = values
      .flatMap((v) => v.split(','))
      .map((v) => v.trim().replace(/^"(.*)"$/, '$1'))
      .filter((v) => v && v !== '$user' && v !== 'pg_catalog')
    return schemas.length ? schemas : this.databasePath
  }

  /** `select set_config('search_path', '...', false)`, as pg_dump and Supabase write it. */
  private searchPathFromSetConfig(n: N) {
    walk(n.targetList, (node) => {
      const call = node.FuncCall
      if (!call || strings(call.funcname).pop() !== 'set_config') return
      const [setting, value] = (call.args ?? []).map((a: N) => a.A_Const?.sval?.sval)
      if (setting === 'search_path' && typeof value === 'string') this.path = this.cleanPath([value])
    })
  }

  // ---- the map ----

  private add(partial: Omit<ExpectedObject, 'origin'>) {
    const o: ExpectedObject = { ...partial, origin: this.origin }
    this.objects.set(keyOf(o), o)
  }

  private remove(o: ExpectedObject) {
    this.objects.delete(keyOf(o))
  }

  private removeWhere(test: (o: ExpectedObject) => boolean) {
    for (const [key, o] of this.objects) if (test(o)) this.objects.delete(key)
  }

  /** Change an object's identity in place and file it under its new key. */
  private mutate(o: ExpectedObject, change: () => void) {
    this.objects.delete(keyOf(o))
    change()
    this.objects.set(keyOf(o), o)
  }

  private mutateAll(test: (o: ExpectedObject) => boolean, change: (o: ExpectedObject) => void) {
    const hit = this.list().filter(test)
    for (const o of hit) this.objects.delete(keyOf(o))
    for (const o of hit) {
      change(o)
      this.objects.set(keyOf(o), o)
    }
  }

  private skip(statement: string, reason: string) {
    this.unchecked.push({ ...this.origin, statement, reason })
  }

  /**
   * Objects named in code Strata does not run (a DO block, a function's body) become uncertain: a table,
   * routine, type, constraint, index, trigger or policy by its own name; a column when its table is named too.
   */
  private mentionedIn(code: string, reason: string) {
    const words = identifiers(code)
    if (!words.size) return
    const columns = new Set<string>()
    for (const o of this.objects.values()) {
      const named = words.has(o.name) && (o.kind !== 'column' && o.kind !== 'enum value' ? true : words.has(o.parent!))
      if (!named) continue
      o.uncertain = reason
      if (o.kind === 'column') columns.add(`${o.schema}.${o.parent}.${o.name}`)
    }
    // A column dropped there takes the indexes and constraints that use it along.
    const uses = (o: ExpectedObject) =>
      [...(o.index?.refs ?? []), ...(o.constraint?.columns ?? [])].some((c) => columns.has(`${o.schema}.${o.parent}.${c}`))
    if (columns.size) for (const o of this.objects.values()) if (uses(o)) o.uncertain = reason
  }

  /** A statement that calls a function of the files whose body changes objects: what that body names is uncertain. */
  private followCalls(n: N) {
    if (!this.bodies.size) return
    const called = new Set<string>()
    walk(n, (node) => {
      if (!node.funcname || !('funcformat' in node || 'args' in node)) return // a FuncCall (CALL holds one unwrapped)
      const fn = this.routineName(strings(node.funcname))
      if (this.bodies.has(`${fn.schema}.${fn.name}`)) called.add(`${fn.schema}.${fn.name}`)
    })
    const at = `${this.origin.file}:${this.origin.line}`
    for (const fn of called) {
      this.skip(`${fn}()`, 'what a function of the files changes when it is called cannot be known without running it')
      this.mentionedIn(this.bodies.get(fn)!, `${fn}(), called at ${at}, names it, and Strata does not follow what functions do`)
    }
  }
}

interface QName {
  schema: string
  name: string
}

const CONSTRAINT_TYPES: Record<string, 'p' | 'u' | 'f' | 'c' | 'x' | undefined> = {
  CONSTR_PRIMARY: 'p',
  CONSTR_UNIQUE: 'u',
  CONSTR_FOREIGN: 'f',
  CONSTR_CHECK: 'c',
  CONSTR_EXCLUSION: 'x',
}

function walk(node: unknown, visit: (n: N) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit)
  } else if (node && typeof node === 'object') {
    visit(node as N)
    for (const value of Object.values(node)) walk(value, visit)
  }
}

function columnRefs(node: unknown): string[] {
  const names: string[] = []
  walk(node, (n) => {
    if (n.ColumnRef) {
      const parts = strings(n.ColumnRef.fields)
      if (parts.length) names.push(parts[parts.length - 1])
    }
  })
  return names
}

/** Postgres's makeObjectName: name1_name2_label, shortening the longer part until it fits in 63 bytes. */
function objectName(name1: string, name2: string, label: string): string {
  const available = NAMEDATALEN - (label.length + 1) - (name2 ? 1 : 0)
  let n1 = name1.length
  let n2 = name2.length
  while (n1 + n2 > available) {
    if (n1 > n2) n1--
    else n2--
  }
  return [name1.slice(0, n1), name2.slice(0, n2), label].filter(Boolean).join('_')
}

const CONSTRAINT_LABELS = { p: 'pkey', u: 'key', f: 'fkey', c: 'check', x: 'excl' }

/** The name Postgres gives an unnamed constraint (before it adds a digit to avoid a clash). */
function defaultConstraintName(table: string, type: keyof typeof CONSTRAINT_LABELS, columns: string[]): string {
  if (type === 'p') return objectName(table, '', 'pkey')
  const addition = type === 'c' ? (columns[0] ?? '') : columns.join('_')
  return objectName(table, addition, CONSTRAINT_LABELS[type])
}

function defaultIndexName(table: string, params: N[]): string {
  const names = params.map(
    (p) => p.IndexElem?.name ?? (p.IndexElem?.expr?.FuncCall ? strings(p.IndexElem.expr.FuncCall.funcname).pop() : 'expr'),
  )
  return objectName(table, names.join('_'), 'idx')
}

/** DDL in a body: calling it may change objects. */
const CHANGES_OBJECTS = /\b(alter|drop|rename|create|execute|truncate)\b/i

/** The `AS '...'` text of a CREATE FUNCTION or DO statement. */
function bodyOf(options: N[] | undefined): string | undefined {
  const as = (options ?? []).find((o: N) => o.DefElem?.defname === 'as')?.DefElem.arg
  if (as?.String) return as.String.sval
  return as?.List?.items?.map((i: N) => i.String?.sval ?? '').join('\n')
}

/** The identifiers a piece of code names, as Postgres folds them: unquoted lower-cased, quoted as written (strings too: dynamic SQL). */
function identifiers(code: string): Set<string> {
  const found = new Set<string>()
  for (const m of code.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)/g)) {
    if (m[1]) found.add(m[1].replace(/""/g, '"'))
    else found.add(m[2].toLowerCase())
  }
  return found
}
