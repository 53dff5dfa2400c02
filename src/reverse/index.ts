/**
 * Reverse stubs: the down file for an up file, written from the text of the history alone (pure: text in,
 * text out, no database). Each statement of the up file maps to its inverse (see docs/reverse.md); the
 * files before it tell what existed already, so that CREATE OR REPLACE, DROP and ALTER ... DEFAULT can be
 * undone by restoring what was there.
 */
import { checksum as checksumOf, hasDirective, normalize } from '../runner/file-format.js'
import { loadParser } from '../sql/parser.js'
import { parseWith } from '../sql/parse.js'
import { Catalog, FileContext, irreversible, noneStep, type Library, type Step, type Stmt } from './context.js'
import { changeRows, insert, NO_SCHEMA_CHANGE, select, setting } from './data.js'
import { doBlock } from './do-blocks.js'
import {
  alterEnum,
  alterPublication,
  createExtension,
  createPublication,
  createRole,
  createSchema,
  createType,
  defineStatement,
  dropObjects,
  dropRoles,
  rename,
} from './objects.js'
import { alterDefaultPrivileges, alterOwner, comment, grant, grantRole } from './privileges.js'
import { alterDomain } from './settings.js'
import { alterSequence, alterTable, createIndex, createSequence, createTable, createTableAs, createView } from './relations.js'
import { alterFunction, alterPolicy, createEventTrigger, createFunction, createPolicy, createRule, createTrigger } from './routines.js'
import { FileTokens, summary } from './sql-text.js'
import { renderStub, type StubEntry } from './stub.js'

export { readStubHeader, type StubHeader } from './stub.js'

export interface ReverseInput {
  /** The up file as shown to people (it names the file in the stub and in its error message). */
  path: string
  content: string
}

export interface ReverseEntry {
  line: number
  /** The up statement, shortened to one line. */
  statement: string
  outcome: 'reversed' | 'nothing' | 'irreversible'
  sql: string[]
  note?: string
}

export interface IrreversibleStatement {
  line: number
  what: string
  why: string
}

export interface ReverseResult {
  path: string
  checksum: string
  /** The down file's text; empty when the up file does not parse. */
  text: string
  /** False when some statement could not be reversed: the stub then raises an exception before anything runs. */
  complete: boolean
  irreversible: IrreversibleStatement[]
  entries: ReverseEntry[]
  /** The up file does not parse. */
  error?: { message: string; line: number; column: number }
}

type Rule = (ctx: FileContext, stmt: Stmt) => Step

const RULES: Record<string, Rule> = {
  CreateStmt: createTable,
  CreateForeignTableStmt: createTable,
  CreateTableAsStmt: createTableAs,
  ViewStmt: createView,
  CreateSeqStmt: createSequence,
  AlterSeqStmt: alterSequence,
  IndexStmt: createIndex,
  AlterTableStmt: alterTable,
  RenameStmt: rename,
  CreateFunctionStmt: createFunction,
  AlterFunctionStmt: alterFunction,
  CreateTrigStmt: createTrigger,
  CreatePolicyStmt: createPolicy,
  AlterPolicyStmt: alterPolicy,
  RuleStmt: createRule,
  CreateEventTrigStmt: createEventTrigger,
  CreateEnumStmt: createType,
  CompositeTypeStmt: createType,
  CreateRangeStmt: createType,
  CreateDomainStmt: createType,
  DefineStmt: defineStatement,
  AlterEnumStmt: alterEnum,
  AlterDomainStmt: alterDomain,
  CreateSchemaStmt: createSchema,
  CreateExtensionStmt: createExtension,
  CreateRoleStmt: createRole,
  CreatePublicationStmt: createPublication,
  AlterPublicationStmt: alterPublication,
  DropStmt: dropObjects,
  DropRoleStmt: dropRoles,
  GrantStmt: grant,
  GrantRoleStmt: grantRole,
  AlterDefaultPrivilegesStmt: alterDefaultPrivileges,
  CommentStmt: comment,
  AlterOwnerStmt: alterOwner,
  InsertStmt: insert,
  UpdateStmt: changeRows,
  DeleteStmt: changeRows,
  TruncateStmt: changeRows,
  MergeStmt: changeRows,
  SelectStmt: select,
  VariableSetStmt: setting,
}

function reverseStatement(ctx: FileContext, stmt: Stmt): Step {
  if (stmt.kind === 'DoStmt') return doBlock(ctx, stmt, (inner) => reverseStatement(ctx, inner))
  const quiet = NO_SCHEMA_CHANGE[stmt.kind]
  if (quiet) return noneStep(quiet)
  const rule = RULES[stmt.kind]
  if (rule) return rule(ctx, stmt)
  const words = stmt.text.split(/\s+/).slice(0, 2).join(' ').toUpperCase()
  return irreversible(words, `strata does not know how to reverse ${words}`)
}

/**
 * Reverse the files of a history, in order. Every file feeds the model that later files are reversed
 * against; `wanted` picks the ones to return (all by default).
 */
export async function reverseHistory(
  files: ReverseInput[],
  wanted: (file: ReverseInput, index: number) => boolean = () => true,
): Promise<ReverseResult[]> {
  const lib = (await loadParser()) as unknown as Library
  const catalog = new Catalog()
  const results: ReverseResult[] = []
  for (const [index, file] of files.entries()) {
    const result = reverseOne(lib, catalog, file)
    if (wanted(file, index)) results.push(result)
  }
  return results
}

/** One up file, given the files before it (for what existed already). */
export async function reverseMigration(file: ReverseInput, earlier: ReverseInput[] = []): Promise<ReverseResult> {
  const results = await reverseHistory([...earlier, file], (_, index) => index === earlier.length)
  return results[0]!
}

function reverseOne(lib: Library, catalog: Catalog, file: ReverseInput): ReverseResult {
  const text = normalize(file.content)
  const sum = checksumOf(file.content)
  const parsed = parseWith(lib.parseSync as never, text)
  if (parsed.error) {
    const { message, line, column } = parsed.error
    return { path: file.path, checksum: sum, text: '', complete: false, irreversible: [], entries: [], error: { message, line, column } }
  }
  const noTransaction = hasDirective(text, 'no-transaction')
  const ctx = new FileContext(lib, catalog, file.path, noTransaction)
  const source = { text: parsed.lines.text, tokens: new FileTokens(lib, parsed.lines.text) }
  const entries: StubEntry[] = parsed.statements.map((s) => {
    const stmt: Stmt = { node: s.node as never, kind: s.kind, text: s.text, start: s.start, end: s.end, line: s.line, source }
    return { line: s.line, statement: summary(s.text), step: reverseStatement(ctx, stmt) }
  })
  settleGuards(ctx, entries)
  const stubText = renderStub({ path: file.path, checksum: sum, noTransaction, preamble: ctx.preamble, entries })
  const open = entries.flatMap((e) => (e.step.kind === 'irreversible' ? [{ line: e.line, what: e.step.what, why: e.step.why }] : []))
  return { path: file.path, checksum: sum, text: stubText, complete: open.length === 0, irreversible: open, entries: entries.map(report) }
}

/** DROP ... IF EXISTS x followed, in the same file, by CREATE x: the drop only made the create repeatable. */
function settleGuards(ctx: FileContext, entries: StubEntry[]): void {
  for (const entry of entries) {
    const step = entry.step
    if (step.kind !== 'irreversible' || !step.guardKey) continue
    const created = ctx.createdHere.get(step.guardKey)
    if (created !== undefined && created >= entry.line)
      entry.step = noneStep(`it guards the create at line ${created}, which is undone instead`)
  }
}

function report(entry: StubEntry): ReverseEntry {
  const step = entry.step
  const outcome = step.kind === 'sql' ? 'reversed' : step.kind === 'none' ? 'nothing' : 'irreversible'
  const note = step.kind === 'irreversible' ? step.why : step.note
  return { line: entry.line, statement: entry.statement, outcome, sql: step.kind === 'sql' ? step.sql : [], note }
}
