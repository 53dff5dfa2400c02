/**
 * A plan as people read it: `pretty` for a terminal, `markdown` for a pull-request comment. Pure: the result
 * in, text out. The markdown starts with a marker line (`<!-- strata-plan -->`) so that CI can find its earlier
 * comment and update it instead of adding another, and depends on nothing but the plan (no clock, no paths of
 * the machine), so the same plan renders the same comment.
 */
import type { Finding } from '../lint/index.js'
import type { Flag, PlannedFile, PlannedStatement, PlanResult, RelationSize } from './types.js'

export const MARKDOWN_MARKER = '<!-- strata-plan -->'
/** The docs ship inside the npm package; unpkg serves every file of a published package. */
const DOCS_URL = 'https://unpkg.com/pgstrata/'

/** The page that explains a flag's safer way: a lint rule's, or a section of docs/plan.md. */
export function docsPage(docs: string): string {
  if (docs === 'lock-queue') return 'docs/plan.md#the-lock-queue'
  if (docs === 'lock-modes') return 'docs/plan.md#lock-modes'
  return `docs/rules/${docs}.md`
}

const ICON = { danger: '⛔', warning: '⚠️', info: 'ℹ️' } as const

export function renderMarkdown(plan: PlanResult): string {
  const out = [MARKDOWN_MARKER, `## Strata plan: ${count(plan.files.length, 'pending file')}`, '']
  out.push(summary(plan).join(' · '), '')
  for (const b of plan.blockers) out.push(`⛔ migrate would refuse: ${escape(b)}`, '')
  out.push(`Files: ${pendingFrom(plan)}. ${traceLine(plan)}`, '')
  for (const file of plan.files) out.push(...markdownFile(file, plan), '')
  const details = plan.files.flatMap((f) => detailLines(f, plan))
  if (details.length) {
    out.push(`<details><summary>All findings and advice (${details.length})</summary>`, '', ...details, '', '</details>', '')
  }
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  )
}

function summary(plan: PlanResult): string[] {
  if (!plan.files.length) return ['Nothing pending.']
  const statements = plan.files.flatMap((f) => f.statements)
  const withLevel = (level: Flag['level']) => statements.filter((s) => s.flags.some((f) => f.level === level)).length
  const rewrites = statements.filter((s) => s.rewrites?.length).length
  const findings = plan.files.flatMap((f) => f.findings)
  const errors = findings.filter((f) => f.severity === 'error' && !f.accepted).length
  const reverse = (['complete', 'unfinished', 'missing'] as const)
    .map((r) => [r, plan.files.filter((f) => f.reverse === r).length] as const)
    .filter(([, n]) => n)
    .map(([r, n]) => `${n} ${r}`)
  const parts: string[] = []
  if (plan.traced) {
    const danger = withLevel('danger')
    const warning = withLevel('warning')
    parts.push(
      danger
        ? `⛔ **${count(danger, 'statement')} block${danger === 1 ? 's' : ''} reads and writes**${rewrites ? ` (${rewrites} rewrite${rewrites === 1 ? 's' : ''} a table)` : ''}`
        : '✅ nothing blocks reads',
    )
    parts.push(warning ? `⚠️ ${count(warning, 'statement')} block${warning === 1 ? 's' : ''} writes` : 'nothing else blocks writes')
  }
  parts.push(`lint: ${count(errors, 'error')}, ${count(findings.length - errors, 'warning')}`)
  parts.push(`reverse: ${reverse.join(', ')}`)
  const failed = plan.files.find((f) => f.error)
  if (failed) parts.push(`⛔ **${failed.path} failed on the scratch database**`)
  return parts
}

function pendingFrom(plan: PlanResult): string {
  if (plan.pendingFrom.kind === 'ledger') return 'pending on the target'
  if (plan.pendingFrom.kind === 'git') return `new since \`${plan.pendingFrom.base}\``
  return 'every file (no database, no --base)'
}

function traceLine(plan: PlanResult): string {
  if (!plan.traced) return 'Locks were not traced: `strata plan --trace` applies the files on a scratch database and reads them.'
  const sample = plan.scratch?.sampleRows
    ? `, with up to ${plan.scratch.sampleRows.toLocaleString('en-US')} sample rows per table from the target`
    : ''
  const sizes = plan.sizes ? " Rows and sizes in brackets are the target's." : ''
  return `Traced on a scratch database built from ${count(plan.applied, 'applied file')}${sample}; times are the scratch database's, and grow with the tables on the target.${sizes}`
}

function markdownFile(file: PlannedFile, plan: PlanResult): string[] {
  const out = [`### \`${file.path}\``, `${file.mode} · reverse: **${file.reverse}** (${escape(file.reverseNote)})`, '']
  const traced = file.statements.some((s) => s.ms !== null)
  const rows = file.statements.filter((s) => !plan.traced || traced || findingsAt(file, s).length)
  if (plan.traced && !traced && !file.error) out.push('_Not traced: an earlier file failed on the scratch database._', '')
  if (rows.length) {
    out.push(
      plan.traced ? '| line | statement | locks | rewrite | time | findings |' : '| line | statement | findings |',
      plan.traced ? '|---:|---|---|---|---:|---|' : '|---:|---|---|',
    )
    for (const s of rows) {
      const findings = findingsAt(file, s)
        .map((f) => `${f.severity === 'error' && !f.accepted ? ICON.danger : ICON.warning} ${f.rule}`)
        .join('<br>')
      const sql = code(shorten(s.sql, 80))
      if (!plan.traced) out.push(`| ${s.line} | ${sql} | ${findings} |`)
      else
        out.push(
          `| ${s.line} | ${sql} | ${locksCell(s, plan.sizes)} | ${rewriteCell(s)} | ${s.ms === null ? '' : ms(s.ms)} | ${findings} |`,
        )
    }
    out.push('')
  }
  if (file.error)
    out.push(
      `⛔ **Failed on the scratch database**${file.error.line ? ` at line ${file.error.line}` : ''}: ${escape(file.error.message)}`,
      '',
    )
  for (const h of file.holds ?? [])
    out.push(
      `Held until COMMIT: ${icon(h.mode)} ${h.mode} on \`${h.relation}\`${size(h.relation, plan.sizes)} from line ${h.line}, ${ms(h.ms)} on the scratch database.`,
    )
  for (const r of file.atRisk)
    out.push(
      `At risk: line ${r.line} (${r.rule}): ${escape(r.what)}${r.rows === null ? '' : ` · ${r.estimated ? '~' : ''}${r.rows.toLocaleString('en-US')} rows on the target`}.`,
    )
  return out
}

function locksCell(s: PlannedStatement, sizes?: Record<string, RelationSize>): string {
  return (s.locks ?? []).map((l) => `${icon(l.mode)} ${l.mode} \`${l.relation}\`${size(l.relation, sizes)}`.trim()).join('<br>')
}

function rewriteCell(s: PlannedStatement): string {
  const parts = [...(s.rewrites ?? []).map((r) => `⛔ \`${r}\``), ...(s.scans ?? []).map((r) => `scans \`${r}\``)]
  return parts.join('<br>')
}

function detailLines(file: PlannedFile, plan: PlanResult): string[] {
  const lines: string[] = []
  for (const s of file.statements) {
    for (const f of s.flags)
      lines.push(
        `- ${ICON[f.level]} \`${file.path}:${s.line}\` ${escape(f.message)}${size(f.relation, plan.sizes)}. ${f.level === 'info' ? '' : '**Safer:** '}${escape(f.help)} ([${f.docs}](${DOCS_URL}${docsPage(f.docs)}))`,
      )
  }
  for (const f of file.findings)
    lines.push(
      `- ${f.severity === 'error' && !f.accepted ? ICON.danger : ICON.warning} \`${f.file}:${f.line}:${f.column}\` **${f.rule}** (${f.accepted ? `accepted: ${f.accepted}` : f.severity}): ${escape(f.message)} ${escape(f.help)} ([docs](${DOCS_URL}docs/rules/${f.rule}.md))`,
    )
  return lines
}

/** A finding belongs to the statement it falls in: the last one that starts on or before its line. */
function findingsAt(file: PlannedFile, s: PlannedStatement): Finding[] {
  const i = file.statements.indexOf(s)
  const next = file.statements[i + 1]
  return file.findings.filter((f) => f.line >= (i === 0 ? 0 : s.line) && (!next || f.line < next.line))
}

function icon(mode: string): string {
  if (mode === 'AccessExclusiveLock') return ICON.danger
  if (mode === 'ShareLock' || mode === 'ShareRowExclusiveLock' || mode === 'ExclusiveLock') return ICON.warning
  return ''
}

function size(relation: string, sizes?: Record<string, RelationSize>): string {
  const s = sizes?.[relation]
  if (!s) return ''
  return ` (${s.estimated ? '~' : ''}${s.rows.toLocaleString('en-US')} rows, ${bytes(s.bytes)})`
}

const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/</g, '&lt;')
const code = (text: string) => (text.includes('`') ? `\`\` ${text.replace(/\|/g, '\\|')} \`\`` : `\`${text.replace(/\|/g, '\\|')}\``)

// ---- pretty (terminal) ----

export interface Paint {
  red(t: string): string
  yellow(t: string): string
  green(t: string): string
  cyan(t: string): string
  dim(t: string): string
  bold(t: string): string
}

const plain: Paint = { red: (t) => t, yellow: (t) => t, green: (t) => t, cyan: (t) => t, dim: (t) => t, bold: (t) => t }

export function renderPretty(plan: PlanResult, c: Paint = plain): string {
  const out: string[] = []
  const head = plan.files.length ? `${count(plan.files.length, 'pending file')}` : 'nothing pending'
  out.push(`${c.bold('plan')}: ${head} (${pendingFrom(plan).replace(/`/g, '')})`, c.dim(traceLine(plan).replace(/`/g, '')))
  for (const b of plan.blockers) out.push(c.red(`migrate would refuse: ${b}`))
  for (const file of plan.files) {
    out.push('', `${c.cyan(file.path)}  ${c.dim(`${file.mode} · reverse: ${file.reverse} (${file.reverseNote})`)}`)
    for (const s of file.statements) {
      const shown = s.flags.length || s.rewrites?.length || findingsAt(file, s).length || (s.locks ?? []).some((l) => icon(l.mode))
      if (!shown) continue
      const time = s.ms === null ? '' : c.dim(` ${ms(s.ms)}`)
      out.push(`  ${String(s.line).padStart(4)}:${String(s.column).padEnd(3)}${time}  ${shorten(s.sql, 100)}`)
      const locks = (s.locks ?? []).filter((l) => icon(l.mode)).map((l) => `${l.mode} ${l.relation}${size(l.relation, plan.sizes)}`)
      if (locks.length) out.push(`         ${c.dim('locks')} ${locks.join(', ')}`)
      if (s.rewrites?.length) out.push(`         ${c.red('rewrites')} ${s.rewrites.join(', ')}`)
      for (const f of s.flags) {
        const mark = f.level === 'danger' ? c.red('✖') : f.level === 'warning' ? c.yellow('!') : c.dim('i')
        const help = f.level === 'info' ? f.help : `safer: ${f.help}`
        out.push(`         ${mark} ${f.message}${size(f.relation, plan.sizes)}`, `           ${c.dim(`${help} (${docsPage(f.docs)})`)}`)
      }
      for (const f of findingsAt(file, s)) {
        const sev = f.severity === 'error' && !f.accepted ? c.red('error') : c.yellow(f.accepted ? 'accepted' : 'warning')
        out.push(`         ${sev} ${f.rule}: ${f.message}`, `           ${c.dim(f.help)}`)
      }
    }
    if (file.error)
      out.push(c.red(`  failed on the scratch database${file.error.line ? ` at line ${file.error.line}` : ''}: ${file.error.message}`))
    for (const h of file.holds ?? [])
      out.push(
        `  ${c.dim('held until COMMIT')} ${h.mode} ${h.relation}${size(h.relation, plan.sizes)} from line ${h.line}, ${ms(h.ms)} on the scratch database`,
      )
    for (const r of file.atRisk)
      out.push(
        `  ${c.yellow('at risk')} line ${r.line} (${r.rule}): ${r.what}${r.rows === null ? '' : `: ${r.estimated ? '~' : ''}${r.rows.toLocaleString('en-US')} rows on the target`}`,
      )
  }
  out.push('', summary(plan).join(' · ').replace(/\*\*/g, ''))
  return out.join('\n') + '\n'
}

// ---- shared ----

/** A statement as the plan shows it: on one line, shortened. */
export function oneLine(sql: string, max = 200): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`

export function ms(n: number): string {
  if (n < 10) return `${n.toFixed(1)} ms`
  if (n < 1000) return `${Math.round(n)} ms`
  return `${(n / 1000).toFixed(1)} s`
}

function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : n} ${units[i]}`
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
