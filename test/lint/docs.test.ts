import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { RULES, lintSources } from '../../src/lint/index.js'

const docs = (name: string) => fileURLToPath(new URL(`../../docs/rules/${name}`, import.meta.url))

test('every rule has a page saying what it catches, why, how to fix it, with a bad and a good example', () => {
  for (const rule of RULES.values()) {
    const path = docs(`${rule.id}.md`)
    assert.ok(existsSync(path), `docs/rules/${rule.id}.md is missing`)
    const page = readFileSync(path, 'utf8')
    assert.ok(page.startsWith(`# ${rule.id}\n`), `${rule.id}: title`)
    assert.match(page, `**Category:** ${rule.category} · **Default:** ${rule.defaultSeverity}`, rule.id)
    for (const section of ['## What it catches', '## Why it matters', '## How to fix it'])
      assert.match(page, section, `${rule.id}: ${section}`)
    assert.match(page, /\bbad\b/, `${rule.id}: bad example`)
    assert.match(page, /\bgood\b/, `${rule.id}: good example`)
  }
})

test('the rules index lists every rule with its category and default', () => {
  const index = readFileSync(docs('README.md'), 'utf8')
  for (const rule of RULES.values()) {
    assert.match(index, `| [${rule.id}](${rule.id}.md) | ${rule.category} | ${rule.defaultSeverity} |`, rule.id)
  }
})

/** The `-- bad...` and `-- good...` parts of a page's sql examples, each linted as a file of its own. */
function examples(page: string): { kind: 'bad' | 'good'; sql: string }[] {
  const parts: { kind: 'bad' | 'good'; sql: string }[] = []
  for (const block of page.matchAll(/```sql\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const header = /^-- (bad|good)\b/.exec(line)
      if (header) parts.push({ kind: header[1] as 'bad' | 'good', sql: '' })
      else if (parts.length) parts[parts.length - 1]!.sql += line + '\n'
    }
  }
  return parts
}

test("each page's bad examples trigger its rule and its good examples do not", async () => {
  for (const rule of RULES.values()) {
    const parts = examples(readFileSync(docs(`${rule.id}.md`), 'utf8'))
    if (rule.id === 'missing-down') continue // about files, not SQL; its examples are file names
    assert.ok(parts.some((part) => part.kind === 'bad') && parts.some((part) => part.kind === 'good'), `${rule.id}: examples`)
    for (const part of parts) {
      const findings = await lintSources([{ path: 'migrations/001_example.sql', content: part.sql }], { rules: { [rule.id]: 'error' } })
      const fired = findings.some((finding) => finding.rule === rule.id)
      assert.is(fired, part.kind === 'bad', `${rule.id}, ${part.kind} example:\n${part.sql}`)
    }
  }
})

test.run()
