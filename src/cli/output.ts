/**
 * Everything the CLI prints goes through here: colour only on a terminal (kleur honours NO_COLOR and
 * FORCE_COLOR), JSON mode keeps stdout to one document, errors are rendered from StrataError facts.
 */
import kleur from 'kleur'
import { StrataError } from '../errors.js'
import { scrubSecrets } from '../db/url.js'
import { describeConnection } from '../db/supabase.js'
import { annotation } from '../github.js'
import type { Finding } from '../lint/index.js'
import { printFindings } from './findings.js'

export const c = kleur

export interface Out {
  json: boolean
  /** Secret-bearing URL whose password must never be printed. */
  url?: string
  line(text?: string): void
  /** Side notes (progress, waiting): stderr in JSON mode so stdout stays one document. */
  note(text: string): void
  result(doc: unknown): void
}

export function makeOut(json: boolean, url?: string): Out {
  const clean = (t: string) => scrubSecrets(t, url)
  return {
    json,
    url,
    line: (t = '') => {
      if (!json) process.stdout.write(clean(t) + '\n')
    },
    note: (t) => (json ? process.stderr : process.stdout).write(clean(t) + '\n'),
    result: (doc) => {
      if (json) process.stdout.write(clean(JSON.stringify(doc, null, 2)) + '\n')
    },
  }
}

/** `--format github`, or running inside GitHub Actions: failures also become annotations on the pull request. */
export function githubAnnotations(argv = process.argv): boolean {
  const i = argv.indexOf('--format')
  return process.env.GITHUB_ACTIONS === 'true' || argv.includes('--format=github') || (i !== -1 && argv[i + 1] === 'github')
}

/** Print an error and return the exit code for it. */
export async function renderError(e: unknown, out: Out): Promise<number> {
  const err = e instanceof StrataError ? e : new StrataError('migration', (e as Error)?.message ?? String(e))
  const scrub = (t: string) => scrubSecrets(t, out.url)
  if (out.json) {
    const { context: _context, ...facts } = err.facts
    out.result({ ok: false, error: { code: err.code, message: err.message, ...facts } })
    return err.exitCode
  }
  // Lint stopped the run: every blocking finding as `strata lint` prints it, then the error.
  const findings = err.code === 'lint' && Array.isArray(err.facts.findings) ? (err.facts.findings as Finding[]) : []
  await printFindings(findings, (text) => process.stderr.write(scrub(text)), githubAnnotations())
  const lines = [`${c.red().bold('error')}: ${err.message}`]
  for (const l of err.facts.context ?? []) lines.push(`  ${l}`)
  if (err.facts.sqlstate && !err.message.includes(err.facts.sqlstate)) lines.push(`  ${c.dim('sqlstate')}: ${err.facts.sqlstate}`)
  if (err.facts.detail) lines.push(`  ${c.dim('detail')}: ${err.facts.detail}`)
  if (err.facts.hint) lines.push(`  ${c.cyan('hint')}: ${err.facts.hint}`)
  if (typeof err.facts.outcome === 'string') lines.push(`  ${err.facts.outcome}`)
  process.stderr.write(scrub(lines.join('\n')) + '\n')
  if (githubAnnotations() && !findings.length) {
    const { file, line, column } = err.facts
    process.stdout.write(scrub(annotation('error', { file, line, col: column, title: `strata ${err.code}` }, err.message)))
  }
  if (!(e instanceof StrataError) && process.env.STRATA_DEBUG) process.stderr.write(scrub(String((e as Error)?.stack)) + '\n')
  return err.exitCode
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return ''
  return n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(1)}s`
}

/** The first line of every command that touches a database: where, as whom, which server, how; never the password. */
export function targetLine(
  target: string,
  server: { version: string; database: string; user: string; host?: string; encrypted?: boolean },
): string {
  const via = server.host ? `, via ${server.host}${server.encrypted ? ' with TLS' : ' without TLS'}` : ''
  const line = `${c.dim('target')} ${target} ${c.dim(`(PostgreSQL ${server.version.split(' ')[0]}, database ${server.database}, user ${server.user}${via})`)}`
  const note = describeConnection(target).note // Supabase: which pooler this is and what works through it
  return note ? `${line}\n${c.dim(note)}` : line
}
