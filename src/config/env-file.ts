/**
 * `.env` files, read the way dotenv reads them, so that a file written for another tool means the same here.
 *
 *   KEY=value                 unquoted: trimmed; ` #` starts a comment (a `#` inside a word stays: a=b#c)
 *   export KEY=value          `export ` is allowed and ignored
 *   KEY='value'               single quotes and backticks: taken as written, may span lines
 *   KEY="line one\nline two"  double quotes: \n, \r, \t, \" and \\ are escapes; may span lines
 *   KEY=                      empty
 *   # comment                 full-line comments and blank lines are skipped
 *
 * `=` inside a value is part of it. No `${VAR}` expansion. Variables already set in the environment win.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { StrataError } from '../errors.js'

/**
 * Load the variables of `--env-file <path>` (which must exist), else of `.env` when there is one, into `env`
 * without overriding what is already set there (the shell wins over the file).
 */
export function loadEnvFile(path: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): void {
  const file = resolve(cwd, path ?? '.env')
  if (!existsSync(file)) {
    if (path) throw new StrataError('config', `--env-file ${path} does not exist`, { file: path })
    return
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new StrataError('config', `cannot read ${path ?? '.env'}: ${(e as Error).message}`, { file: path ?? '.env' })
  }
  for (const [key, value] of Object.entries(parseEnvFile(text, path ?? '.env'))) {
    if (!(key in env)) env[key] = value
  }
}

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }

/** The variables a `.env` text sets, in order; a later line setting the same key wins. `shown` names it in errors. */
export function parseEnvFile(text: string, shown = '.env'): Record<string, string> {
  const vars: Record<string, string> = {}
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  let at = 0
  while (at < source.length) {
    const lineEnd = endOfLine(source, at)
    const assignment = ASSIGNMENT.exec(source.slice(at, lineEnd))
    if (!assignment) {
      at = lineEnd + 1 // blank, comment, or not an assignment: skipped, as dotenv does
      continue
    }
    const key = assignment[1]!
    const valueAt = at + assignment[0].length
    const quote = source[valueAt]
    if (quote === '"' || quote === "'" || quote === '`') {
      const close = closingQuote(source, valueAt, quote)
      if (close === -1) {
        const line = source.slice(0, at).split('\n').length
        throw new StrataError('config', `${shown}:${line}: the value of ${key} opens a ${quote} quote that is never closed`, {
          file: shown,
          line,
          hint: `close the quote; a value may span lines only inside quotes`,
        })
      }
      const raw = source.slice(valueAt + 1, close)
      vars[key] = quote === '"' ? raw.replace(/\\([nrt"\\])/g, (_, c: string) => ESCAPES[c]!) : raw
      at = endOfLine(source, close) + 1 // anything after the closing quote on its line is a comment
    } else {
      vars[key] = source
        .slice(valueAt, lineEnd)
        .replace(/(^|[ \t])#.*$/, '')
        .trim()
      at = lineEnd + 1
    }
  }
  return vars
}

function endOfLine(text: string, from: number): number {
  const end = text.indexOf('\n', from)
  return end === -1 ? text.length : end
}

function closingQuote(text: string, open: number, quote: string): number {
  for (let i = open + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++
    else if (text[i] === quote) return i
  }
  return -1
}
