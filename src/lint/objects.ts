import type {
  AlterTableCmd,
  Constraint,
  AlterTableStmt,
  CompositeTypeStmt,
  CreateDomainStmt,
  CreateEnumStmt,
  CreateExtensionStmt,
  CreateFunctionStmt,
  CreatePolicyStmt,
  CreateRangeStmt,
  CreateRoleStmt,
  CreateSchemaStmt,
  CreateSeqStmt,
  CreateStmt,
  CreateTableAsStmt,
  CreateTrigStmt,
  DefineStmt,
  DropRoleStmt,
  DropStmt,
  IndexStmt,
  Node,
  ObjectType,
  ViewStmt,
} from '@pgsql/types'
import type { Statement } from '../sql/index.js'
import { type QualifiedName, listName, rangeVarName, stringValues } from './names.js'

/** A database object as a migration names it, to match a create with an earlier drop of the same thing. */
export interface ObjectRef extends QualifiedName {
  type: string
  /** For objects that live on a table: policies, triggers, constraints, columns, and indexes when known. */
  table?: QualifiedName
}

/** The inner node of a statement, typed by its kind. */
export function inner<T>(statement: Statement): T {
  return (statement.node as Record<string, unknown>)[statement.kind] as T
}

/** The object a CREATE statement makes, or undefined when the statement creates nothing with a name. */
export function createdObject(statement: Statement): ObjectRef | undefined {
  switch (statement.kind) {
    case 'CreateStmt':
      return { type: 'table', ...rangeVarName(inner<CreateStmt>(statement).relation) }
    case 'CreateTableAsStmt': {
      const create = inner<CreateTableAsStmt>(statement)
      return { type: create.objtype === 'OBJECT_MATVIEW' ? 'matview' : 'table', ...rangeVarName(create.into?.rel) }
    }
    case 'IndexStmt': {
      const index = inner<IndexStmt>(statement)
      if (!index.idxname) return undefined
      return { type: 'index', schema: index.relation?.schemaname, name: index.idxname, table: rangeVarName(index.relation) }
    }
    case 'CreateSchemaStmt':
      return { type: 'schema', name: inner<CreateSchemaStmt>(statement).schemaname ?? '' }
    case 'CreateSeqStmt':
      return { type: 'sequence', ...rangeVarName(inner<CreateSeqStmt>(statement).sequence) }
    case 'CreateExtensionStmt':
      return { type: 'extension', name: inner<CreateExtensionStmt>(statement).extname ?? '' }
    case 'ViewStmt':
      return { type: 'view', ...rangeVarName(inner<ViewStmt>(statement).view) }
    case 'CreateFunctionStmt':
      return { type: 'function', ...listName(inner<CreateFunctionStmt>(statement).funcname) }
    case 'CreateTrigStmt': {
      const trigger = inner<CreateTrigStmt>(statement)
      return { type: 'trigger', name: trigger.trigname ?? '', table: rangeVarName(trigger.relation) }
    }
    case 'CreatePolicyStmt': {
      const policy = inner<CreatePolicyStmt>(statement)
      return { type: 'policy', name: policy.policy_name ?? '', table: rangeVarName(policy.table) }
    }
    case 'CreateEnumStmt':
      return { type: 'type', ...listName(inner<CreateEnumStmt>(statement).typeName) }
    case 'CreateRangeStmt':
      return { type: 'type', ...listName(inner<CreateRangeStmt>(statement).typeName) }
    case 'CompositeTypeStmt':
      return { type: 'type', ...rangeVarName(inner<CompositeTypeStmt>(statement).typevar) }
    case 'CreateDomainStmt':
      return { type: 'type', ...listName(inner<CreateDomainStmt>(statement).domainname) }
    case 'DefineStmt': {
      const define = inner<DefineStmt>(statement)
      return define.kind === 'OBJECT_TYPE' ? { type: 'type', ...listName(define.defnames) } : undefined
    }
    case 'CreateRoleStmt':
      return { type: 'role', name: inner<CreateRoleStmt>(statement).role ?? '' }
    default:
      return undefined
  }
}

const DROPPED_TYPES: Partial<Record<ObjectType, string>> = {
  OBJECT_TABLE: 'table',
  OBJECT_FOREIGN_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'matview',
  OBJECT_INDEX: 'index',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_SCHEMA: 'schema',
  OBJECT_EXTENSION: 'extension',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'type',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'function',
  OBJECT_ROUTINE: 'function',
  OBJECT_POLICY: 'policy',
  OBJECT_TRIGGER: 'trigger',
  OBJECT_RULE: 'rule',
}

/** The objects a DROP statement (or the drops inside an ALTER TABLE) removes. */
export function droppedObjects(statement: Statement): ObjectRef[] {
  switch (statement.kind) {
    case 'DropStmt': {
      const drop = inner<DropStmt>(statement)
      const type = drop.removeType && DROPPED_TYPES[drop.removeType]
      return type ? (drop.objects ?? []).map((object) => droppedObject(type, object)) : []
    }
    case 'DropRoleStmt':
      return (inner<DropRoleStmt>(statement).roles ?? []).map((role) => ({
        type: 'role',
        name: 'RoleSpec' in role ? (role.RoleSpec.rolename ?? '') : '',
      }))
    case 'AlterTableStmt': {
      const alter = inner<AlterTableStmt>(statement)
      const table = rangeVarName(alter.relation)
      return alterTableCommands(alter).flatMap((command): ObjectRef[] => {
        if (command.subtype === 'AT_DropColumn') return [{ type: 'column', name: command.name ?? '', table }]
        if (command.subtype === 'AT_DropConstraint') return [{ type: 'constraint', name: command.name ?? '', table }]
        return []
      })
    }
    default:
      return []
  }
}

function droppedObject(type: string, object: Node): ObjectRef {
  if ('TypeName' in object) return { type, ...listName(object.TypeName.names) }
  if ('ObjectWithArgs' in object) return { type, ...listName(object.ObjectWithArgs.objname) }
  if ('String' in object) return { type, name: object.String.sval ?? '' }
  const parts = 'List' in object ? stringValues(object.List.items) : []
  if (type === 'policy' || type === 'trigger' || type === 'rule') {
    const name = parts.pop() ?? ''
    return { type, name, table: listName(parts.map((sval) => ({ String: { sval } }))) }
  }
  return { type, ...listName(parts.map((sval) => ({ String: { sval } }))) }
}

const commandsOf = new WeakMap<AlterTableStmt, AlterTableCmd[]>()

/** The commands of an ALTER TABLE, unwrapped once and shared by every rule that looks at them. */
export function alterTableCommands(alter: AlterTableStmt): AlterTableCmd[] {
  let commands = commandsOf.get(alter)
  if (!commands) {
    commands = []
    for (const command of alter.cmds ?? []) if ('AlterTableCmd' in command) commands.push(command.AlterTableCmd)
    commandsOf.set(alter, commands)
  }
  return commands
}

export function sameName(a: QualifiedName, b: QualifiedName): boolean {
  return a.name === b.name && (!a.schema || !b.schema || a.schema === b.schema)
}

export function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  if (a.type !== b.type || !sameName(a, b)) return false
  return !a.table || !b.table || sameName(a.table, b.table)
}

/** The column a CHECK (col IS NOT NULL) constraint proves NOT NULL, when it is one. */
export function notNullColumn(constraint: Constraint): string | undefined {
  const expression = constraint.raw_expr
  if (!expression || !('NullTest' in expression) || expression.NullTest.nulltesttype !== 'IS_NOT_NULL') return undefined
  const arg = expression.NullTest.arg
  return arg && 'ColumnRef' in arg ? stringValues(arg.ColumnRef.fields).pop() : undefined
}
