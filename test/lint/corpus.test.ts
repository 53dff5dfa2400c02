import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { lintSources } from '../../src/lint/index.js'
import type { Finding } from '../../src/lint/index.js'
import { parseSql, splitStatements } from '../../src/sql/index.js'
import { CORPUS as corpus, corpusMissing, testUnless } from '../support/skip.js'

// Real migrations from 14 projects, read in place (never copied into this repository).
const it = testUnless(corpusMissing)

function sqlFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sqlFiles(path)
    return entry.name.endsWith('.sql') ? [path] : []
  })
}

const projects = corpusMissing ? [] : readdirSync(corpus, { withFileTypes: true }).filter((entry) => entry.isDirectory())
const files = projects.flatMap((project) => sqlFiles(join(corpus, project.name)))
const sources = files.map((path) => ({ path: relative(corpus, path), content: readFileSync(path, 'utf8') }))
let findings: Finding[] = []

it('the whole corpus lints without an exception', async () => {
  assert.ok(files.length >= 1500, `expected the 1,520 corpus files, found ${files.length}`)
  findings = await lintSources(sources)
  assert.ok(findings.length > 0)
})

it('every file parses, or is one syntax-error at a real position', async () => {
  const syntaxErrors = findings.filter((finding) => finding.rule === 'syntax-error')
  for (const source of sources) {
    const parsed = await parseSql(source.content)
    const reported = syntaxErrors.filter((finding) => finding.file === source.path)
    if (!parsed.error) {
      assert.is(reported.length, 0, source.path)
      continue
    }
    assert.equal(
      reported.map((finding) => [finding.line, finding.column]),
      [[parsed.error.line, parsed.error.column]],
      source.path,
    )
    assert.ok(parsed.error.line <= parsed.lines.lineCount, source.path)
  }
  // Checked by hand: the Up section lacks the semicolon before `-- +goose StatementEnd`.
  assert.equal(
    syntaxErrors.map((finding) => `${finding.file}:${finding.line}:${finding.column}`),
    ['hatchet-dev__hatchet/cmd/hatchet-migrate/migrate/migrations/20250519145912_v1_0_21.sql:14:1'],
  )
})

it('every statement is located at its first keyword', async () => {
  for (const source of sources) {
    const parsed = await parseSql(source.content)
    for (const statement of parsed.statements) {
      assert.is(source.content.slice(statement.start, statement.end), statement.text, source.path)
      const line = parsed.lines.lineText(statement.line)
      assert.match(line.slice(statement.column - 1), /^[A-Za-z(]/, `${source.path}:${statement.line}:${statement.column}`)
    }
  }
})

it('every file splits into statements without an exception', async () => {
  for (const source of sources) await splitStatements(source.content)
})

const findingsIn = (file: string) =>
  findings
    .filter((finding) => finding.file === file)
    .map((finding) => `${finding.line}:${finding.column} ${finding.severity} ${finding.rule}`)

it("openfga 006: goose NO TRANSACTION is not Strata's directive, so each CONCURRENTLY statement is reported", () => {
  assert.equal(findingsIn('openfga__openfga/assets/migrations/postgres/006_add_collate_index.sql'), [
    '3:1 error nontransactional-statement',
    '11:1 error nontransactional-statement',
    '14:1 error nontransactional-statement',
    '16:1 error nontransactional-statement',
  ])
})

it('chatbot-ui add_assistant_tools: unguarded indexes, policy and trigger; no locking warning for a new table', () => {
  assert.equal(findingsIn('mckaywrigley__chatbot-ui/supabase/migrations/20240115172125_add_assistant_tools.sql'), [
    '20:1 error require-if-not-exists',
    '21:1 error require-if-not-exists',
    '22:1 error require-if-not-exists',
    '28:1 error unguarded-create',
    '35:1 error unguarded-create',
  ])
})

it('hatchet v1_0_68: a CREATE TYPE guarded by IF NOT EXISTS in a DO block, and ADD COLUMN IF NOT EXISTS, are clean', () => {
  assert.equal(findingsIn('hatchet-dev__hatchet/cmd/hatchet-migrate/migrate/migrations/20260106185235_v1_0_68.sql'), [])
})

it('supabase storage 0048: in a DO block, only the ADD PRIMARY KEY outside any IF is unguarded', () => {
  assert.equal(findingsIn('supabase__storage/migrations/tenant/0048-iceberg-catalog-ids.sql'), ['31:9 error unguarded-create'])
})

it('trigger.dev add_user_next_session_end: located after a non-ASCII comment (→)', () => {
  assert.equal(
    findingsIn(
      'triggerdotdev__trigger.dev/internal-packages/database/prisma/migrations/20260503104935_add_user_next_session_end/migration.sql',
    ),
    ['7:40 error require-if-not-exists'],
  )
})

it('atuin fix_count_trigger_delete: CREATE OR REPLACE FUNCTION with a plpgsql body is clean', () => {
  assert.equal(findingsIn('atuinsh__atuin/crates/atuin-server-postgres/migrations/20220421073605_fix_count_trigger_delete.sql'), [])
})

test.run()
