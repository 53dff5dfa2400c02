import type { AlterTableStmt, CreateTrigStmt } from '@pgsql/types'
import type { Statement } from '../../sql/index.js'
import type { FileFacts } from '../facts.js'
import { display, rangeVarName } from '../names.js'
import { type ObjectRef, alterTableCommands, createdObject, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

/** The creates that have no IF NOT EXISTS, by statement kind: what each creates (lint/fix.ts guards them too). */
export const CREATES: Readonly<Record<string, string>> = {
  CreatePolicyStmt: 'POLICY',
  CreateEnumStmt: 'TYPE',
  CompositeTypeStmt: 'TYPE',
  CreateRangeStmt: 'TYPE',
  DefineStmt: 'TYPE',
  CreateDomainStmt: 'DOMAIN',
  CreateRoleStmt: 'ROLE',
  CreateTrigStmt: 'TRIGGER',
}

export const unguardedCreate: Rule = {
  id: 'unguarded-create',
  category: 'idempotency',
  defaultSeverity: 'error',
  summary:
    'CREATE POLICY/TYPE/DOMAIN/ROLE/TRIGGER and ADD CONSTRAINT (which have no IF NOT EXISTS) without a DROP ... IF EXISTS before them or a DO block that catches duplicate_object.',
  kinds: [...Object.keys(CREATES), 'AlterTableStmt', 'DoStmt'],
  check(statement, file) {
    if (statement.kind === 'DoStmt') {
      return file.bodyStatements(statement).flatMap((inside) =>
        // Node locations inside a DO block count from the block's query, not the file: point at the statement.
        inside.guarded ? [] : check(inside, file).map((report) => ({ ...report, offset: inside.start, end: inside.end, within: inside })),
      )
    }
    return check(statement, file)
  },
}

function check(statement: Statement, file: FileFacts): Report[] {
  if (statement.kind === 'AlterTableStmt') return addConstraints(statement, file)
  const what = CREATES[statement.kind]
  const object = createdObject(statement)
  if (!what || !object || file.droppedEarlier(object)) return []
  if (statement.kind === 'CreateTrigStmt' && inner<CreateTrigStmt>(statement).replace) return []
  return [
    {
      message: `CREATE ${what} ${describe(object)} fails when it already exists, and it has no IF NOT EXISTS.`,
      help: guardHelp(what, object),
    },
  ]
}

function addConstraints(statement: Statement, file: FileFacts): Report[] {
  const alter = inner<AlterTableStmt>(statement)
  const table = rangeVarName(alter.relation)
  const droppedHere = new Set<string>()
  return alterTableCommands(alter).flatMap((command): Report[] => {
    if (command.subtype === 'AT_DropConstraint') droppedHere.add(command.name ?? '')
    if (command.subtype !== 'AT_AddConstraint' || !command.def || !('Constraint' in command.def)) return []
    const constraint = command.def.Constraint
    const name = constraint.conname
    const object: ObjectRef = { type: 'constraint', name: name ?? '', table }
    if (name && (droppedHere.has(name) || file.droppedEarlier(object))) return []
    if (!name && file.droppedEarlier({ type: 'table', ...table })) return []
    return [
      {
        message: `ADD CONSTRAINT ${name ? display(name) : '(unnamed)'} fails when ${display(table)} already has it, and it has no IF NOT EXISTS.`,
        help: name
          ? `Put ALTER TABLE ${display(table)} DROP CONSTRAINT IF EXISTS ${display(name)} before it (same statement or earlier).`
          : 'Name the constraint, and drop it with DROP CONSTRAINT IF EXISTS before adding it.',
        offset: file.offsetOf(constraint.location),
      },
    ]
  })
}

function describe(object: ObjectRef): string {
  return object.table ? `${display(object.name)} ON ${display(object.table)}` : display(object)
}

function guardHelp(what: string, object: ObjectRef): string {
  if (what === 'TRIGGER') {
    return `Use CREATE OR REPLACE TRIGGER (PostgreSQL 14+), or put DROP TRIGGER IF EXISTS ${describe(object)} before it.`
  }
  if (what === 'POLICY') return `Put DROP POLICY IF EXISTS ${describe(object)} before it.`
  // DROP TYPE/DOMAIN IF EXISTS fails once a column uses the type, which is the normal case on a re-run.
  if (what === 'TYPE' || what === 'DOMAIN')
    return `Wrap it in DO $$ BEGIN CREATE ${what} ...; EXCEPTION WHEN duplicate_object THEN NULL; END $$ (DROP ${what} IF EXISTS before it would fail once a column uses the ${what.toLowerCase()}).`
  return `Wrap it in DO $$ BEGIN CREATE ${what} ...; EXCEPTION WHEN duplicate_object THEN NULL; END $$, or put DROP ${what} IF EXISTS ${display(object)} before it.`
}
