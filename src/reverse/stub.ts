/**
 * The text of a down file: a header that names its up file and that file's checksum, a guard that stops
 * an unfinished stub before it changes anything, then the inverse statements, last up statement first.
 */
import type { Step } from './context.js'
import { quoteLiteral } from '../sql/quote.js'

export interface StubEntry {
  line: number
  statement: string
  step: Step
}

export interface StubInput {
  /** The up file as shown to people, e.g. migrations/005_api_keys.sql. */
  path: string
  checksum: string
  noTransaction: boolean
  preamble: string[]
  /** In up-file order. */
  entries: StubEntry[]
}

const HEADER = /^--\s*strata:reverses\s+(\S+)\s+sha256:([0-9a-f]{64})\s*$/m

export interface StubHeader {
  /** The up file's name as the header gives it. */
  upFile: string
  checksum: string
}

/** The up file and its checksum from a down file written by strata reverse; undefined for a hand-written one. */
export function readStubHeader(text: string): StubHeader | undefined {
  const m = HEADER.exec(text)
  return m ? { upFile: m[1]!, checksum: m[2]! } : undefined
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path
}

export function renderStub(input: StubInput): string {
  const name = baseName(input.path)
  const lines = [
    `-- Down migration for ${name}, written by strata reverse. Review it; strata down runs it.`,
    `-- strata:reverses ${name} sha256:${input.checksum}`,
  ]
  if (input.noTransaction) lines.push('-- strata:no-transaction')
  lines.push('')
  const open = input.entries.filter((e) => e.step.kind === 'irreversible')
  if (open.length) lines.push(...unfinishedGuard(input.path, open), '')
  if (input.preamble.length)
    lines.push('-- Settings from the up file, so that names resolve as they did there.', ...input.preamble.map(statement), '')
  for (const entry of [...input.entries].reverse()) lines.push(...renderEntry(entry), '')
  if (!input.entries.length) lines.push('-- The up file has no statements: nothing to undo.', '')
  return lines.join('\n').replace(/\n+$/, '\n')
}

/** Runs first, so a stub with irreversible statements stops before any of its other statements run. */
function unfinishedGuard(path: string, open: StubEntry[]): string[] {
  const what = (e: StubEntry) => (e.step.kind === 'irreversible' ? e.step.what : '')
  const first = open[0]!
  const others = open.slice(1).map((e) => `line ${e.line}: ${what(e)}`)
  const message = `strata: ${path}:${first.line}: ${what(first)} cannot be reversed automatically${others.length ? ` (nor ${others.join(', ')})` : ''}; edit this down file`
  return [
    `-- NOT FINISHED: strata cannot reverse ${open.length === 1 ? 'this statement' : 'these statements'} of ${baseName(path)} by itself:`,
    ...open.map((e) => `--   line ${e.line}: ${what(e)}: ${e.step.kind === 'irreversible' ? e.step.why : ''}`),
    '-- Write the reverse where this file marks it below, then delete the DO block that follows.',
    // RAISE formats its message: a % in a path must not become a placeholder.
    `DO $$ BEGIN RAISE EXCEPTION ${quoteLiteral(message.replace(/%/g, '%%'))}; END $$;`,
  ]
}

function renderEntry(entry: StubEntry): string[] {
  const head = `-- line ${entry.line}: ${entry.statement}`
  const step = entry.step
  if (step.kind === 'none') return [head, `--   nothing to undo: ${step.note}`]
  if (step.kind === 'irreversible') {
    const todo = [head, `-- TODO: cannot be reversed automatically: ${step.why}.`]
    if (!step.prefill) return [...todo, '-- Write its reverse here.']
    // What the history knows is written out, to edit rather than to write from nothing; the guard above keeps it from running until then.
    return [...todo, `-- Write its reverse here; a start: ${step.prefill.note}.`, ...step.prefill.sql.map(statement)]
  }
  return [head, ...(step.note ? [`--   ${step.note}`] : []), ...step.sql.map(statement)]
}

function statement(sql: string): string {
  const text = sql.trim()
  if (text.endsWith(';')) return text
  // A statement copied from the up file may end in a line comment, which would swallow the semicolon.
  return /--[^\n]*$/.test(text) ? `${text}\n;` : `${text};`
}
