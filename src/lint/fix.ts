/**
 * `strata lint --fix`: the idempotency findings rewritten mechanically, in the file's own text. Nothing is
 * printed again from a syntax tree: keywords are inserted at the positions the parser and the scanner give
 * (`IF NOT EXISTS`, `IF EXISTS`, `OR REPLACE`), a `DROP POLICY|TRIGGER IF EXISTS` goes before a create that
 * has no IF NOT EXISTS, and a create that has neither is wrapped, as written, in a DO block that makes a second
 * run do nothing. Comments, spacing, case and quoting stay as they are. Pure: text in, text out.
 */
import type { AlterTableCmd, AlterTableStmt, Constraint, CreatePolicyStmt, CreateTrigStmt, DropStmt, IndexStmt } from '@pgsql/types'
import type { Statement } from '../sql/index.js'
import { loadParser, LineIndex, parseWith } from '../sql/index.js'
import { byteOffsetConverter } from '../sql/position.js'
import { quoteLiteral } from '../sql/quote.js'
import { lintSources, type Source } from './engine.js'
import { display, rangeVarName } from './names.js'
import { alterTableCommands, inner } from './objects.js'
import { CREATES } from './rules/unguarded-create.js'
import type { Finding, LintConfig } from './types.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

/** The rules whose findings --fix rewrites. */
export const FIXABLE = new Set(['require-if-not-exists', 'require-if-exists', 'require-or-replace', 'unguarded-create'])

export interface FixChange {
  line: number
  column: number
  rule: string
  /** What was done, e.g. `CREATE TABLE -> CREATE TABLE IF NOT EXISTS`. */
  description: string
}

export interface FixedFile {
  path: string
  /** The source as it was given (its `down` and `noTransaction` marks with it). */
  source: Source
  original: string
  fixed: string
  changes: FixChange[]
  /** Idempotency findings still in the fixed text (insert-without-on-conflict among them): what --fix could not rewrite. */
  unfixed: Finding[]
}

interface Edit {
  /** Offsets in the statement's text. */
  start: number
  end: number
  text: string
  change: Change
}

/** A change before it is located: `at` is its offset in the statement's text. */
interface Change {
  rule: string
  description: string
  at: number
}

interface Token {
  start: number
  end: number
  /** Upper-cased; identifiers unquoted. */
  word: string
  value: string
}

/** Fix the idempotency findings of each source; `config` is the lint configuration (a rule set to off is left alone). */
export async function fixSources(sources: Source[], config: LintConfig = { rules: {} }): Promise<FixedFile[]> {
  const parser = await loadParser()
  const before = await lintSources(sources, config)
  const fixed: FixedFile[] = []
  for (const source of sources) {
    const findings = before.filter((f) => f.file === source.path && FIXABLE.has(f.rule))
    const result = findings.length ? fixText(parser, source.content, findings) : { text: source.content, changes: [] }
    fixed.push({ path: source.path, source, original: source.content, fixed: result.text, changes: result.changes, unfixed: [] })
  }
  // What the rules still find in the fixed text is what --fix could not do (an unchanged file: what it found before).
  const changed = fixed.filter((f) => f.fixed !== f.original)
  const after = [
    ...before.filter((f) => !changed.some((c) => c.path === f.file)),
    ...(await lintSources(
      changed.map((f) => ({ ...f.source, content: f.fixed })),
      config,
    )),
  ]
  for (const file of fixed) {
    // A rewrite that does not parse is never kept: the file stays as it was, with its findings.
    const broken =
      after.some((f) => f.file === file.path && f.rule === 'syntax-error') &&
      !before.some((f) => f.file === file.path && f.rule === 'syntax-error')
    if (broken) Object.assign(file, { fixed: file.original, changes: [] })
    file.unfixed = (broken ? before : after).filter((f) => f.file === file.path && f.category === 'idempotency')
  }
  return fixed
}

function fixText(parser: Parser, text: string, findings: Finding[]): { text: string; changes: FixChange[] } {
  const lines = new LineIndex(text)
  const parsed = parseWith(parser.parseSync, text, lines)
  if (parsed.error) return { text, changes: [] }
  // Columns count characters from 1 (src/lint/engine.ts): back to offsets in the text.
  const starts = findings.map((f) => lines.lineStart(f.line) + f.column - 1)
  const changes: FixChange[] = []
  const crlf = text.includes('\r\n')
  let out = ''
  let at = 0
  for (const statement of parsed.statements) {
    const mine = findings.filter((_, i) => starts[i]! >= statement.start && starts[i]! <= statement.end)
    if (!mine.length) continue
    const rewritten = fixStatement(parser, statement, new Set(mine.map((f) => f.rule)), text)
    if (!rewritten) continue
    // New lines end as the file's lines do.
    out += text.slice(at, statement.start) + (crlf ? rewritten.text.replace(/(?<!\r)\n/g, '\r\n') : rewritten.text)
    at = statement.end
    for (const { at, ...change } of rewritten.changes) changes.push({ ...lines.position(statement.start + at), ...change })
  }
  return { text: out + text.slice(at), changes }
}

/** The statement rewritten (and what was done), or undefined when nothing about it is mechanical. */
function fixStatement(
  parser: Parser,
  statement: Statement,
  rules: Set<string>,
  file: string,
): { text: string; changes: Change[] } | undefined {
  const tokens = scan(parser, statement.text)
  const edits: Edit[] = []
  if (rules.has('require-if-not-exists')) edits.push(...ifNotExists(statement, tokens))
  if (rules.has('require-if-exists')) edits.push(...ifExists(statement, tokens))
  if (rules.has('require-or-replace')) edits.push(...orReplace(statement, tokens))
  let text = apply(statement.text, edits)
  const changes = edits.map((edit) => edit.change)
  if (rules.has('unguarded-create')) {
    const guarded = guard(statement, text, indentOf(file, statement.start), tokens)
    if (guarded) {
      text = guarded.text
      changes.push(guarded.change)
    }
  }
  return changes.length ? { text, changes } : undefined
}

function apply(text: string, edits: Edit[]): string {
  let out = text
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end)
  return out
}

function scan(parser: Parser, text: string): Token[] {
  const toChar = byteOffsetConverter(text)
  return parser.scanSync(text).tokens.flatMap((t) => {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') return []
    const start = toChar(t.start)
    const end = toChar(t.end)
    const raw = text.slice(start, end)
    return [{ start, end, word: raw.toUpperCase(), value: raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase() }]
  })
}

/** The index of the first token with this word, from `from` on, outside parentheses; -1 when there is none. */
function find(tokens: Token[], word: string, from = 0): number {
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.word === '(') depth++
    else if (t.word === ')') depth--
    else if (depth === 0 && i >= from && t.word === word) return i
  }
  return -1
}

/** Insert `words ` right before token i. */
function before(tokens: Token[], i: number, words: string, rule: string, description: string): Edit[] {
  const token = tokens[i]
  return token ? [{ start: token.start, end: token.start, text: `${words} `, change: { rule, description, at: token.start } }] : []
}

/** After the keyword (and CONCURRENTLY), before the name: where IF [NOT] EXISTS goes. */
function afterKeyword(tokens: Token[], keyword: string, from = 0): number {
  const at = find(tokens, keyword, from)
  if (at < 0) return -1
  return tokens[at + 1]?.word === 'CONCURRENTLY' ? at + 2 : at + 1
}

const CREATE_KEYWORD: Record<string, string> = {
  CreateStmt: 'TABLE',
  CreateSchemaStmt: 'SCHEMA',
  CreateSeqStmt: 'SEQUENCE',
  CreateExtensionStmt: 'EXTENSION',
}

function ifNotExists(statement: Statement, tokens: Token[]): Edit[] {
  const rule = 'require-if-not-exists'
  const node = inner<{ if_not_exists?: boolean; objtype?: string; is_select_into?: boolean }>(statement)
  switch (statement.kind) {
    case 'CreateStmt':
    case 'CreateSchemaStmt':
    case 'CreateSeqStmt':
    case 'CreateExtensionStmt': {
      if (node.if_not_exists) return []
      const keyword = CREATE_KEYWORD[statement.kind]!
      return before(tokens, afterKeyword(tokens, keyword), 'IF NOT EXISTS', rule, `CREATE ${keyword} -> CREATE ${keyword} IF NOT EXISTS`)
    }
    case 'CreateTableAsStmt': {
      if (node.if_not_exists || node.is_select_into) return []
      const keyword = node.objtype === 'OBJECT_MATVIEW' ? 'VIEW' : 'TABLE'
      return before(tokens, afterKeyword(tokens, keyword), 'IF NOT EXISTS', rule, `CREATE ${keyword} -> CREATE ${keyword} IF NOT EXISTS`)
    }
    case 'IndexStmt':
      return indexIfNotExists(statement, tokens)
    case 'AlterTableStmt':
      return addColumnIfNotExists(statement, tokens)
    case 'AlterEnumStmt': {
      if (inner<{ skipIfNewValExists?: boolean }>(statement).skipIfNewValExists) return []
      return before(tokens, afterKeyword(tokens, 'VALUE'), 'IF NOT EXISTS', rule, 'ADD VALUE -> ADD VALUE IF NOT EXISTS')
    }
    default:
      return []
  }
}

/** A named index gets IF NOT EXISTS; an unnamed one on plain columns also gets the name Postgres would give it. */
function indexIfNotExists(statement: Statement, tokens: Token[]): Edit[] {
  const index = inner<IndexStmt>(statement)
  if (index.if_not_exists) return []
  const at = afterKeyword(tokens, 'INDEX')
  if (index.idxname) return before(tokens, at, 'IF NOT EXISTS', 'require-if-not-exists', 'CREATE INDEX -> CREATE INDEX IF NOT EXISTS')
  const columns = (index.indexParams ?? []).map((p) => ('IndexElem' in p ? p.IndexElem.name : undefined))
  const name = `${index.relation?.relname}_${columns.join('_')}_idx`
  if (!columns.length || columns.some((c) => !c) || Buffer.byteLength(name) > 63) return []
  return before(
    tokens,
    at,
    `IF NOT EXISTS ${display(name)}`,
    'require-if-not-exists',
    `CREATE INDEX -> CREATE INDEX IF NOT EXISTS ${display(name)} (the name Postgres gives it)`,
  )
}

/** The tokens of each command of an ALTER TABLE (split at top-level commas after the table name). */
function commandTokens(statement: Statement, tokens: Token[]): Token[][] | undefined {
  const alter = inner<AlterTableStmt>(statement)
  const commands = alterTableCommands(alter)
  let i = find(tokens, 'TABLE') + 1
  if (tokens[i]?.word === 'IF') i += 2 // IF EXISTS
  if (tokens[i]?.word === 'ONLY') i++
  i++ // the name
  while (tokens[i]?.word === '.') i += 2
  if (tokens[i]?.word === '*') i++
  const groups: Token[][] = [[]]
  let depth = 0
  for (const t of tokens.slice(i)) {
    if (t.word === '(') depth++
    else if (t.word === ')') depth--
    if (depth === 0 && t.word === ',') groups.push([])
    else groups[groups.length - 1]!.push(t)
  }
  return groups.length === commands.length ? groups : undefined
}

function addColumnIfNotExists(statement: Statement, tokens: Token[]): Edit[] {
  const groups = commandTokens(statement, tokens)
  if (!groups) return []
  return alterTableCommands(inner<AlterTableStmt>(statement)).flatMap((command, i): Edit[] => {
    if (command.subtype !== 'AT_AddColumn' || command.missing_ok) return []
    const group = groups[i]!
    if (group[1]?.word === 'COLUMN')
      return before(group, 2, 'IF NOT EXISTS', 'require-if-not-exists', 'ADD COLUMN -> ADD COLUMN IF NOT EXISTS')
    return before(group, 1, 'COLUMN IF NOT EXISTS', 'require-if-not-exists', 'ADD -> ADD COLUMN IF NOT EXISTS')
  })
}

// How many words name the kind of object after DROP: DROP MATERIALIZED VIEW x, DROP FOREIGN TABLE x, ...
const DROP_WORDS: Record<string, number> = {
  OBJECT_MATVIEW: 2,
  OBJECT_FOREIGN_TABLE: 2,
  OBJECT_EVENT_TRIGGER: 2,
  OBJECT_ACCESS_METHOD: 2,
  OBJECT_OPCLASS: 2,
  OBJECT_OPFAMILY: 2,
  OBJECT_FDW: 3,
  OBJECT_TSCONFIGURATION: 3,
  OBJECT_TSDICTIONARY: 3,
  OBJECT_TSPARSER: 3,
  OBJECT_TSTEMPLATE: 3,
}

function ifExists(statement: Statement, tokens: Token[]): Edit[] {
  const rule = 'require-if-exists'
  if (statement.kind === 'AlterTableStmt') return alterTableIfExists(statement, tokens)
  if (inner<{ missing_ok?: boolean }>(statement).missing_ok) return []
  if (statement.kind === 'DropRoleStmt')
    return before(tokens, 2, 'IF EXISTS', rule, `DROP ${tokens[1]?.word} -> DROP ${tokens[1]?.word} IF EXISTS`)
  if (statement.kind !== 'DropStmt') return []
  const drop = inner<DropStmt>(statement)
  let at = 1 + (DROP_WORDS[drop.removeType ?? ''] ?? 1)
  if (tokens[at]?.word === 'CONCURRENTLY') at++
  const what = tokens
    .slice(1, at)
    .map((t) => t.word)
    .join(' ')
  return before(tokens, at, 'IF EXISTS', rule, `DROP ${what} -> DROP ${what} IF EXISTS`)
}

function alterTableIfExists(statement: Statement, tokens: Token[]): Edit[] {
  const groups = commandTokens(statement, tokens)
  if (!groups) return []
  return alterTableCommands(inner<AlterTableStmt>(statement)).flatMap((command: AlterTableCmd, i): Edit[] => {
    if (command.missing_ok || (command.subtype !== 'AT_DropColumn' && command.subtype !== 'AT_DropConstraint')) return []
    const group = groups[i]!
    const at = group[1]?.word === 'COLUMN' || group[1]?.word === 'CONSTRAINT' ? 2 : 1
    const what = group
      .slice(0, at)
      .map((t) => t.word)
      .join(' ')
    return before(group, at, 'IF EXISTS', 'require-if-exists', `${what} -> ${what} IF EXISTS`)
  })
}

function orReplace(statement: Statement, tokens: Token[]): Edit[] {
  if (statement.kind !== 'CreateFunctionStmt' && statement.kind !== 'ViewStmt') return []
  if (inner<{ replace?: boolean }>(statement).replace) return []
  const what = tokens[1]?.word ?? ''
  return before(tokens, 1, 'OR REPLACE', 'require-or-replace', `CREATE ${what} -> CREATE OR REPLACE ${what}`)
}

// Those wrapped in a DO block; a policy or trigger gets a DROP ... IF EXISTS before it instead.
const WRAPPED = Object.fromEntries(Object.entries(CREATES).filter(([, what]) => what !== 'POLICY' && what !== 'TRIGGER'))

/** A create with no IF NOT EXISTS, made idempotent: a DROP ... IF EXISTS before it, or a DO block around it. */
function guard(statement: Statement, text: string, indent: string, tokens: Token[]): { text: string; change: Change } | undefined {
  const rule = 'unguarded-create'
  if (statement.kind === 'CreatePolicyStmt' || statement.kind === 'CreateTrigStmt') {
    const trigger = statement.kind === 'CreateTrigStmt' ? inner<CreateTrigStmt>(statement) : undefined
    if (trigger?.replace) return undefined
    const table = rangeVarName(trigger ? trigger.relation : inner<CreatePolicyStmt>(statement).table)
    const what = trigger ? 'TRIGGER' : 'POLICY'
    // The name as written (the parser cuts a long one to 63 bytes, as Postgres does: either works, this reads better).
    const name = statement.text.slice(tokens[find(tokens, what) + 1]!.start, tokens[find(tokens, what) + 1]!.end)
    const drop = `DROP ${what} IF EXISTS ${name} ON ${display(table)}`
    return { text: `${drop};\n${indent}${text}`, change: { rule, description: `${drop} before it`, at: 0 } }
  }
  if (statement.kind === 'AlterTableStmt') return guardConstraints(statement, text, indent)
  const what = WRAPPED[statement.kind]
  if (!what || (statement.kind === 'DefineStmt' && inner<{ kind?: string }>(statement).kind !== 'OBJECT_TYPE')) return undefined
  return {
    text: doBlock(text, indent, 'EXCEPTION WHEN duplicate_object THEN NULL;'),
    change: { rule, description: `CREATE ${what} wrapped in a DO block that skips it when it exists`, at: 0 },
  }
}

/**
 * ADD CONSTRAINT has no IF NOT EXISTS. One named constraint: run the statement only when pg_constraint has no
 * constraint of that name on the table (exact, whatever the kind). Otherwise: skip the statement when adding
 * fails because a constraint, index or primary key of that name is there already.
 */
function guardConstraints(statement: Statement, text: string, indent: string): { text: string; change: Change } | undefined {
  const alter = inner<AlterTableStmt>(statement)
  const constraints = alterTableCommands(alter).flatMap((command): Constraint[] =>
    command.subtype === 'AT_AddConstraint' && command.def && 'Constraint' in command.def ? [command.def.Constraint] : [],
  )
  if (!constraints.length) return undefined
  const table = display(rangeVarName(alter.relation))
  const rule = 'unguarded-create'
  const only = constraints.length === 1 ? constraints[0]!.conname : undefined
  if (only) {
    const check = `IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = ${quoteLiteral(only)} AND conrelid = ${quoteLiteral(table)}::regclass) THEN`
    return {
      text: doBlock(text, indent, '', check),
      change: { rule, description: `ADD CONSTRAINT ${display(only)} wrapped in a DO block that skips it when ${table} has it`, at: 0 },
    }
  }
  const conditions = [
    'duplicate_object',
    'duplicate_table',
    ...(constraints.some((c) => c.contype === 'CONSTR_PRIMARY') ? ['invalid_table_definition'] : []),
  ]
  return {
    text: doBlock(text, indent, `EXCEPTION WHEN ${conditions.join(' OR ')} THEN NULL;`),
    change: { rule, description: 'ADD CONSTRAINT wrapped in a DO block that skips it when the constraint exists', at: 0 },
  }
}

/** The statement as written, inside `DO $$ BEGIN ... END $$` (with an IF around it, or an EXCEPTION clause after it). */
function doBlock(text: string, indent: string, handler: string, condition?: string): string {
  let tag = '$$'
  for (let n = 0; text.includes(tag); n++) tag = `$strata${n || ''}$`
  const inside = text.replace(/\n/g, `\n${indent}  `)
  const body = condition ? `  ${condition}\n${indent}    ${inside.replace(/\n/g, '\n  ')};\n${indent}  END IF;` : `  ${inside};`
  return `DO ${tag}\n${indent}BEGIN\n${indent}${body}\n${indent}${handler ? `${handler}\n${indent}` : ''}END ${tag}`
}

function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0]
}

/** A unified diff of the fixed file against the original, hunks with 3 lines of context. */
export function unifiedDiff(path: string, original: string, fixed: string): string {
  if (original === fixed) return ''
  const a = original.split('\n')
  const b = fixed.split('\n')
  // Files differ only where statements were rewritten: match the common head and tail, then walk the middle.
  const hunks = diffLines(a, b)
  const out = [`--- a/${path}`, `+++ b/${path}`]
  for (const hunk of hunks) {
    out.push(`@@ -${hunk.aStart + 1},${hunk.aLines} +${hunk.bStart + 1},${hunk.bLines} @@`, ...hunk.lines)
  }
  return out.join('\n') + '\n'
}

interface Hunk {
  aStart: number
  aLines: number
  bStart: number
  bLines: number
  lines: string[]
}

/** A line diff: the common head and tail set aside, the middle by longest common subsequence; hunks with 3 lines of context. */
function diffLines(a: string[], b: string[]): Hunk[] {
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  const ops: { kind: ' ' | '-' | '+'; line: string; i: number; j: number }[] = []
  for (let k = 0; k < head; k++) ops.push({ kind: ' ', line: a[k]!, i: k, j: k })
  ops.push(...middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail), head))
  for (let k = tail; k > 0; k--) ops.push({ kind: ' ', line: a[a.length - k]!, i: a.length - k, j: b.length - k })
  return hunksOf(ops)
}

type Op = { kind: ' ' | '-' | '+'; line: string; i: number; j: number }

function middle(a: string[], b: string[], offset: number): Op[] {
  const n = a.length
  const m = b.length
  // Too large to compare line by line (edits far apart in a huge file): show the middle as replaced.
  if (n * m > 4_000_000)
    return [
      ...a.map((line, k): Op => ({ kind: '-', line, i: offset + k, j: offset })),
      ...b.map((line, k): Op => ({ kind: '+', line, i: offset + n, j: offset + k })),
    ]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: ' ', line: a[i]!, i: offset + i++, j: offset + j++ })
    // Removed lines before added ones, as diff(1) shows them.
    else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', line: a[i]!, i: offset + i++, j: offset + j })
    else ops.push({ kind: '+', line: b[j]!, i: offset + i, j: offset + j++ })
  }
  return ops
}

function hunksOf(ops: Op[]): Hunk[] {
  const hunks: Hunk[] = []
  let k = 0
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++
      continue
    }
    const from = Math.max(0, k - 3)
    let to = k
    while (to < ops.length) {
      let next = to
      while (next < ops.length && ops[next]!.kind !== ' ') next++
      let same = next
      while (same < ops.length && ops[same]!.kind === ' ') same++
      to = next
      if (same >= ops.length || same - next > 6) break
      to = same
    }
    const end = Math.min(ops.length, to + 3)
    const slice = ops.slice(from, end)
    hunks.push({
      aStart: slice[0]!.i,
      bStart: slice[0]!.j,
      aLines: slice.filter((op) => op.kind !== '+').length,
      bLines: slice.filter((op) => op.kind !== '-').length,
      lines: slice.map((op) => op.kind + op.line),
    })
    k = end
  }
  return hunks
}
