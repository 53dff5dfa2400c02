/** Lint findings as `strata lint` prints them (the source line, a caret, the help), for commands that lint on the way. */
import { readFileSync } from 'node:fs'
import type { Finding } from '../lint/index.js'

/** Loads the formatter only when there is something to print: most runs have no findings, and start-up time counts. */
export async function printFindings(findings: Finding[], write: (text: string) => void, github: boolean): Promise<void> {
  if (!findings.length) return
  const { formatGithub, formatPretty } = await import('../lint/format.js')
  const contents = new Map<string, string>()
  for (const path of new Set(findings.map((f) => f.file))) {
    try {
      contents.set(path, readFileSync(path, 'utf8'))
    } catch {
      // No source line then; the finding still says file:line:col.
    }
  }
  write(formatPretty(findings, { contents }))
  if (github) process.stdout.write(formatGithub(findings.filter((f) => !f.accepted)))
}
