import type { AlterTableStmt, CreateStmt, CreateTableAsStmt, RenameStmt } from '@pgsql/types'
import { typeRef, type TypeRef } from '../verify/sql-names.js'
import type { LineIndex, Statement, loadParser } from '../sql/index.js'
import type { Piece } from '../sql/pieces.js'
import { readDirectives } from '../runner/file-format.js'
import { type BlockStatement, doBlockStatements } from './do-blocks.js'
import type { QualifiedName } from './names.js'
import { type ObjectRef, alterTableCommands, createdObject, droppedObjects, inner, sameName, sameObject } from './objects.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

interface CreatedTable extends QualifiedName {
  ifNotExists: boolean
}

/**
 * What a file has done so far, as the engine walks its statements in order, shared by every rule:
 * which objects it created and dropped before the statement being checked.
 */
export class FileFacts {
  readonly isDownFile: boolean
  private readonly created = new Map<string, ObjectRef[]>()
  private readonly dropped = new Map<string, ObjectRef[]>()
  private readonly tables = new Map<string, CreatedTable[]>()
  private readonly blocks = new Map<number, BlockStatement[]>()
  private piece?: Piece
  private directive?: boolean
  /** Column types as this file leaves them so far, by `table.column`. */
  private readonly types = new Map<string, TypeRef | undefined>()
  /** Column types as the files before this one left them (src/lint/column-types.ts), by `table.column`. */
  history?: Map<string, TypeRef>

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
    return this.types.has(key) ? this.types.get(key) : this.history?.get(key)
  }

  /** Whether nothing but comments, blanks and semicolons surrounds this statement in the file. */
  isOnlyStatement(statement: Statement): boolean {
    return onlyTrivia(this.text.slice(0, statement.start)) && onlyTrivia(this.text.slice(statement.end))
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

  /** Statements written directly in a DO block's body (parsed once, on first request). */
  blockStatements(statement: Statement): BlockStatement[] {
    let found = this.blocks.get(statement.start)
    if (!found) {
      found = doBlockStatements(this.parser, statement, this.lines)
      this.blocks.set(statement.start, found)
    }
    return found
  }

  /** Called by the engine after every rule has seen the statement. */
  record(statement: Statement): void {
    const object = createdObject(statement)
    if (object) add(this.created, object)
    for (const drop of droppedObjects(statement)) add(this.dropped, drop)
    if (statement.kind === 'CreateStmt') {
      const create = inner<CreateStmt>(statement)
      this.addTable({ schema: create.relation?.schemaname, name: create.relation?.relname ?? '', ifNotExists: !!create.if_not_exists })
      for (const element of create.tableElts ?? [])
        if ('ColumnDef' in element)
          this.types.set(`${create.relation?.relname}.${element.ColumnDef.colname}`, typeRef(element.ColumnDef.typeName))
    } else if (statement.kind === 'CreateTableAsStmt' && object) {
      this.addTable({ ...object, ifNotExists: !!inner<CreateTableAsStmt>(statement).if_not_exists })
    } else if (statement.kind === 'RenameStmt') {
      this.recordRename(inner<RenameStmt>(statement))
    } else if (statement.kind === 'AlterTableStmt') {
      this.recordAlterTable(inner<AlterTableStmt>(statement))
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
        this.types.set(`${table.name}.${column}`, typeRef(command.def.ColumnDef.typeName))
      }
      if (command.subtype === 'AT_AddColumn' && command.def && 'ColumnDef' in command.def) {
        add(this.created, { type: 'column', name: command.def.ColumnDef.colname ?? '', table })
      } else if (command.subtype === 'AT_AddConstraint' && command.def && 'Constraint' in command.def) {
        const name = command.def.Constraint.conname
        if (name) add(this.created, { type: 'constraint', name, table })
      }
    }
  }
}

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
