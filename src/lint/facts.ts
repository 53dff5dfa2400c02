import type {
  AlterEnumStmt,
  AlterTableStmt,
  Constraint,
  CreateFunctionStmt,
  CreateStmt,
  CreateTableAsStmt,
  RenameStmt,
  TransactionStmt,
  TypeName,
} from '@pgsql/types'
import { typeRef, type TypeRef } from '../verify/sql-names.js'
import type { LineIndex, Statement, loadParser } from '../sql/index.js'
import type { Piece } from '../sql/pieces.js'
import { readDirectives } from '../runner/file-format.js'
import { type BlockStatement, bodyStatements } from './bodies.js'
import type { History } from './history.js'
import { type QualifiedName, listName, stringValues } from './names.js'
import { type ObjectRef, alterTableCommands, createdObject, droppedObjects, inner, notNullColumn, sameName, sameObject } from './objects.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

interface CreatedTable extends QualifiedName {
  ifNotExists: boolean
}

/** A function this file created: a later statement of the file may run it. */
export interface CreatedFunction extends QualifiedName {
  statement: Statement
  volatility: 'immutable' | 'stable' | 'volatile'
}

/** An enum value this file added, and the transaction it was added in. */
export interface AddedEnumValue {
  type: QualifiedName
  value: string
  transaction: number
  line: number
}

// Statements that end the transaction Strata runs a file in (the rest of the file then runs in another).
const ENDS_TRANSACTION = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE'])

/**
 * What a file has done so far, as the engine walks its statements in order, shared by every rule:
 * which objects it created and dropped before the statement being checked, which constraints it added
 * NOT VALID or validated, which enum values it added, which functions it created, and which transaction
 * each happened in.
 */
export class FileFacts {
  readonly isDownFile: boolean
  /** What files before this one did, when the linter was given them; asked lazily by the rules that need it. */
  history?: History
  private readonly created = new Map<string, ObjectRef[]>()
  private readonly dropped = new Map<string, ObjectRef[]>()
  private readonly tables = new Map<string, CreatedTable[]>()
  private readonly blocks = new Map<number, BlockStatement[]>()
  private readonly functions = new Map<string, CreatedFunction[]>()
  /** `table|constraint` of constraints added NOT VALID, with the transaction they were added in. */
  private readonly notValid = new Map<string, number>()
  /** `table|constraint` of CHECK constraints this file added: the column each proves NOT NULL, or '' for another check. */
  private readonly checks = new Map<string, string>()
  /** `table|constraint` of constraints known valid: added without NOT VALID, or validated. */
  private readonly validated = new Set<string>()
  readonly enumValues: AddedEnumValue[] = []
  private readonly seen = new Set<string>()
  private transactionNumber = 0
  private piece?: Piece
  private directive?: boolean
  /** Column types as this file leaves them so far, by `table.column`: the parser's node, read only when a rule asks. */
  private readonly types = new Map<string, TypeName | undefined>()
  /** Column types as the files before this one left them (src/lint/column-types.ts), by `table.column`. */
  typesBefore?: Map<string, TypeRef>

  constructor(
    readonly path: string,
    readonly text: string,
    readonly lines: LineIndex,
    private readonly parser: Parser,
    down?: boolean,
    noTransaction?: boolean,
  ) {
    this.isDownFile = down ?? /\.down\.sql$/i.test(path)
    if (noTransaction) this.directive = true
  }

  /** Called by the engine before the statements of each piece of the file (see src/sql/pieces.ts). */
  enter(piece: Piece): void {
    this.piece = piece
  }

  /** `-- strata:no-transaction` before the first statement, read as the runner reads it. */
  get noTransaction(): boolean {
    this.directive ??= readDirectives(this.text).noTransaction
    return this.directive
  }

  /** A column's type before the current statement: as this file set it, else as the history before it left it. */
  columnType(table: QualifiedName, column: string): TypeRef | undefined {
    const key = `${table.name}.${column}`
    if (!this.types.has(key)) return this.typesBefore?.get(key)
    const type = this.types.get(key)
    return type && typeRef(type)
  }

  /** Whether nothing but comments, blanks and semicolons surrounds this statement in the file. */
  isOnlyStatement(statement: Statement): boolean {
    return onlyTrivia(this.text.slice(0, statement.start)) && onlyTrivia(this.text.slice(statement.end))
  }

  /** Which transaction the current statement runs in: a COMMIT in the file starts another. (In a no-transaction file every statement is its own: rules ask `noTransaction` first.) */
  get transaction(): number {
    return this.transactionNumber
  }

  /** Character offset in the file of a parser node location of the current statement (UTF-8 bytes of what was parsed). */
  offsetOf(byteLocation: number | undefined): number | undefined {
    if (byteLocation === undefined || byteLocation < 0 || !this.piece) return undefined
    return this.piece.offsetOf(byteLocation)
  }

  /** The table, when this file created it (with or without IF NOT EXISTS) before the current statement. */
  createdTable(table: QualifiedName): CreatedTable | undefined {
    return this.tables.get(table.name)?.find((created) => sameName(created, table))
  }

  createdEarlier(object: ObjectRef): boolean {
    return (this.created.get(object.name) ?? []).some((created) => sameObject(created, object))
  }

  /**
   * Whether an earlier DROP removed this object, the table it lives on, or its schema:
   * what follows then creates it afresh, which makes the create idempotent.
   */
  droppedEarlier(object: ObjectRef): boolean {
    const matches = (candidate: ObjectRef) => (this.dropped.get(candidate.name) ?? []).some((drop) => sameObject(drop, candidate))
    if (matches(object)) return true
    if (object.table && matches({ type: 'table', ...object.table })) return true
    const schema = object.schema ?? object.table?.schema
    return schema !== undefined && matches({ type: 'schema', name: schema })
  }

  get hasFunctions(): boolean {
    return this.functions.size > 0
  }

  /** True the first time it is asked with this key, for reports that must not repeat (a function called twice). */
  firstTime(key: string): boolean {
    if (this.seen.has(key)) return false
    this.seen.add(key)
    return true
  }

  /** The function, when this file created it before the current statement. */
  createdFunction(name: QualifiedName): CreatedFunction | undefined {
    return this.functions.get(name.name)?.find((created) => sameName(created, name))
  }

  /** Whether the constraint was added NOT VALID earlier in the transaction the current statement runs in. */
  addedNotValidInThisTransaction(table: QualifiedName, constraint: string): boolean {
    return !this.noTransaction && this.notValid.get(`${table.name}|${constraint}`) === this.transactionNumber
  }

  /**
   * Whether a valid CHECK (column IS NOT NULL) on the table is known before the current statement, so that
   * SET NOT NULL (PostgreSQL 12+) skips its scan: one this file added and validated, one it validated without
   * adding it (made by an earlier file, and named after the column), or one an earlier file made valid.
   */
  provesNotNull(table: QualifiedName, column: string): boolean {
    for (const key of this.validated) {
      const [name, constraint] = key.split('|') as [string, string]
      if (name !== table.name) continue
      const proves = this.checks.get(key)
      if (proves === column || (proves === undefined && constraint.toLowerCase().includes(column.toLowerCase()))) return true
    }
    return this.history?.provesNotNull(table, column) ?? false
  }

  /** Statements written in a DO block's or a function's body (parsed once, on first request). */
  bodyStatements(statement: Statement): BlockStatement[] {
    let found = this.blocks.get(statement.start)
    if (!found) {
      found = bodyStatements(this.parser, statement, this.lines)
      this.blocks.set(statement.start, found)
    }
    return found
  }

  /** Called by the engine after every rule has seen the statement. */
  record(statement: Statement): void {
    const object = createdObject(statement)
    if (object) add(this.created, object)
    for (const drop of droppedObjects(statement)) add(this.dropped, drop)
    switch (statement.kind) {
      case 'CreateStmt': {
        const create = inner<CreateStmt>(statement)
        this.addTable({ schema: create.relation?.schemaname, name: create.relation?.relname ?? '', ifNotExists: !!create.if_not_exists })
        for (const element of create.tableElts ?? [])
          if ('ColumnDef' in element) this.types.set(`${create.relation?.relname}.${element.ColumnDef.colname}`, element.ColumnDef.typeName)
        break
      }
      case 'CreateTableAsStmt':
        if (object) this.addTable({ ...object, ifNotExists: !!inner<CreateTableAsStmt>(statement).if_not_exists })
        break
      case 'RenameStmt':
        this.recordRename(inner<RenameStmt>(statement))
        break
      case 'AlterTableStmt':
        this.recordAlterTable(inner<AlterTableStmt>(statement))
        break
      case 'AlterEnumStmt':
        this.recordEnumValue(inner<AlterEnumStmt>(statement), statement)
        break
      case 'CreateFunctionStmt':
        this.recordFunction(inner<CreateFunctionStmt>(statement), statement)
        break
      case 'TransactionStmt':
        if (ENDS_TRANSACTION.has(inner<TransactionStmt>(statement).kind ?? '')) this.transactionNumber++
        break
    }
  }

  private addTable(table: CreatedTable): void {
    const list = this.tables.get(table.name) ?? []
    list.push(table)
    this.tables.set(table.name, list)
  }

  // A table built under a temporary name and renamed into place is still new in this file.
  private recordRename(rename: RenameStmt): void {
    if (rename.renameType !== 'OBJECT_TABLE' || !rename.relation || !rename.newname) return
    const created = this.createdTable({ schema: rename.relation.schemaname, name: rename.relation.relname ?? '' })
    if (created) this.addTable({ ...created, name: rename.newname })
  }

  private recordAlterTable(alter: AlterTableStmt): void {
    const table = { schema: alter.relation?.schemaname, name: alter.relation?.relname ?? '' }
    for (const command of alterTableCommands(alter)) {
      if ((command.subtype === 'AT_AddColumn' || command.subtype === 'AT_AlterColumnType') && command.def && 'ColumnDef' in command.def) {
        const column = command.def.ColumnDef.colname ?? command.name ?? ''
        this.types.set(`${table.name}.${column}`, command.def.ColumnDef.typeName)
      }
      if (command.subtype === 'AT_AddColumn' && command.def && 'ColumnDef' in command.def) {
        add(this.created, { type: 'column', name: command.def.ColumnDef.colname ?? '', table })
      } else if (command.subtype === 'AT_AddConstraint' && command.def && 'Constraint' in command.def) {
        this.recordConstraint(table, command.def.Constraint)
      } else if (command.subtype === 'AT_ValidateConstraint') {
        this.validated.add(`${table.name}|${command.name}`)
      } else if (command.subtype === 'AT_DropConstraint') {
        this.validated.delete(`${table.name}|${command.name}`)
      }
    }
  }

  private recordConstraint(table: QualifiedName, constraint: Constraint): void {
    const name = constraint.conname
    if (!name) return
    add(this.created, { type: 'constraint', name, table })
    const key = `${table.name}|${name}`
    if (constraint.contype === 'CONSTR_CHECK') this.checks.set(key, notNullColumn(constraint) ?? '')
    if (constraint.skip_validation) this.notValid.set(key, this.transactionNumber)
    else this.validated.add(key)
  }

  private recordEnumValue(alter: AlterEnumStmt, statement: Statement): void {
    if (!alter.newVal || alter.oldVal !== undefined) return
    this.enumValues.push({ type: listName(alter.typeName), value: alter.newVal, transaction: this.transactionNumber, line: statement.line })
  }

  private recordFunction(create: CreateFunctionStmt, statement: Statement): void {
    const name = listName(create.funcname)
    let volatility: CreatedFunction['volatility'] = 'volatile'
    for (const option of create.options ?? []) {
      if (!('DefElem' in option) || option.DefElem.defname !== 'volatility') continue
      volatility = stringValues([option.DefElem.arg!])[0] as CreatedFunction['volatility']
    }
    const list = this.functions.get(name.name) ?? []
    list.unshift({ ...name, statement, volatility }) // the latest definition wins
    this.functions.set(name.name, list)
  }
}

/** The column of `CHECK (column IS NOT NULL)`, or undefined for any other check. */

function add(map: Map<string, ObjectRef[]>, object: ObjectRef): void {
  const list = map.get(object.name) ?? []
  list.push(object)
  map.set(object.name, list)
}

/** Text Postgres skips between statements: whitespace, `;`, `--` and (nested) block comments. */
function onlyTrivia(text: string): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    if (depth > 0) {
      if (text.startsWith('*/', i)) (depth--, i++)
      else if (text.startsWith('/*', i)) (depth++, i++)
    } else if (text.startsWith('/*', i)) (depth++, i++)
    else if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i)
      if (end === -1) return true
      i = end
    } else if (!/[\s;\uFEFF]/.test(text[i])) return false
  }
  return true
}
