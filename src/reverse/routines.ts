/** Functions, procedures, triggers, policies, rules and event triggers. */
import { irreversible, noneStep, sqlStep, type FileContext, type Step, type Stmt } from './context.js'
import { orReplace } from './relations.js'
import { nameList, qualified, rangeVarText, signatureArgs, signatureType, type Ast } from './sql-text.js'

/** What callers see of a function besides its arguments: CREATE OR REPLACE cannot change it. */
function resultShape(n: Ast): string {
  const outputs = (n.parameters ?? [])
    .map((p: Ast) => p.FunctionParameter)
    .filter((p: Ast) => p.mode === 'FUNC_PARAM_OUT' || p.mode === 'FUNC_PARAM_INOUT' || p.mode === 'FUNC_PARAM_TABLE')
    .map((p: Ast) => `${p.name ?? ''} ${JSON.stringify(p.argType?.names)}`)
  return JSON.stringify([n.returnType?.names, n.returnType?.setof, n.returnType?.arrayBounds?.length, outputs])
}

export function createFunction(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateFunctionStmt
  const names = nameList(n.funcname)
  const inputs = (n.parameters ?? [])
    .map((p: Ast) => p.FunctionParameter)
    .filter((p: Ast) => p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE')
  const key = ctx.functionKey(
    names,
    inputs.map((p: Ast) => signatureType(ctx.lib, p.argType)),
  )
  const word = n.is_procedure ? 'PROCEDURE' : 'FUNCTION'
  const before = ctx.known(key)
  const shape = resultShape(n)
  ctx.created(key, stmt, { kind: n.is_procedure ? 'procedure' : 'function', shape })
  const drop = `DROP ${word} IF EXISTS ${qualified(ctx.lib, names)}(${signatureArgs(ctx.lib, n.parameters)})`
  if (!before?.text) return sqlStep(drop)
  if (stmt.guarded) return noneStep(`it already existed (${before.path}:${before.line}), so this create changed nothing`)
  const note = `restores the ${word.toLowerCase()} as ${before.path}:${before.line} defined it`
  // CREATE OR REPLACE cannot change a result type: then the later version has to go first.
  if (before.shape !== undefined && before.shape !== shape) return sqlStep([drop, before.text], note)
  return sqlStep(orReplace(before.text), note)
}

export function alterFunction(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterFunctionStmt
  const key = ctx.objectWithArgsKey(n.func)
  const line = ctx.createdHere.get(key)
  if (line !== undefined) return noneStep(`the function goes with its CREATE at line ${line}`)
  const known = ctx.known(key)
  if (!known?.text) return irreversible('ALTER FUNCTION', 'the settings of the function before it are not known from the files')
  // CREATE OR REPLACE sets every attribute again, so the earlier definition undoes SET, SECURITY, COST and the like.
  return sqlStep(orReplace(known.text), `restores the function as ${known.path}:${known.line} defined it`)
}

export function createTrigger(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateTrigStmt
  return onTable(ctx, stmt, 'trigger', n.trigname, n.relation, !!n.replace)
}

export function createPolicy(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreatePolicyStmt
  return onTable(ctx, stmt, 'policy', n.policy_name, n.table, false)
}

export function createRule(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.RuleStmt
  return onTable(ctx, stmt, 'rule', n.rulename, n.relation, !!n.replace)
}

/** Triggers, policies and rules hang on a table: DROP ... IF EXISTS name ON table, or nothing when the table is new. */
function onTable(ctx: FileContext, stmt: Stmt, kind: 'trigger' | 'policy' | 'rule', name: string, rel: Ast, replace: boolean): Step {
  const key = ctx.onTableKey(kind, rel, name)
  const tableKey = ctx.relKey(rel)
  const before = ctx.known(key)
  ctx.created(key, stmt, { kind, table: tableKey })
  // Dropped explicitly even when its table is new in this file: it may use a function made after the table,
  // and that function's DROP runs first.
  if (before && stmt.guarded) return noneStep(`it already existed (${before.path}:${before.line}), so this create changed nothing`)
  if (replace && before?.text) return sqlStep(orReplace(before.text), `restores the ${kind} as ${before.path}:${before.line} made it`)
  return sqlStep(`DROP ${kind.toUpperCase()} IF EXISTS ${ctx.quote(name)} ON ${rangeVarText(ctx.lib, rel)}`)
}

export function alterPolicy(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterPolicyStmt
  const key = ctx.onTableKey('policy', n.table, n.policy_name)
  const line = ctx.coveredBy(key)
  if (line !== undefined) return noneStep(`the policy goes with its CREATE at line ${line}`)
  const known = ctx.known(key)
  if (!known?.text) return irreversible('ALTER POLICY', 'the policy before it is not known from the files')
  // The policy now differs from its CREATE text: a later restore could not rely on that text any more.
  ctx.catalog.objects.set(key, { ...known, text: '' })
  const drop = `DROP POLICY IF EXISTS ${ctx.quote(n.policy_name)} ON ${rangeVarText(ctx.lib, n.table)}`
  return sqlStep([drop, known.text], `restores the policy as ${known.path}:${known.line} made it`)
}

export function createEventTrigger(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateEventTrigStmt
  const key = `event trigger:${n.trigname}`
  const before = ctx.known(key)
  ctx.created(key, stmt, { kind: 'event trigger' })
  if (before && stmt.guarded) return noneStep(`it already existed (${before.path}:${before.line}), so this create changed nothing`)
  return sqlStep(`DROP EVENT TRIGGER IF EXISTS ${ctx.quote(n.trigname)}`)
}
