import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadLintConfig } from '../../src/lint/index.js'

function projectWith(manifest: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-lint-config-'))
  writeFileSync(join(dir, 'package.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest))
  return dir
}

async function errorOf(action: () => unknown): Promise<{ code?: string; message: string }> {
  try {
    await action()
  } catch (error) {
    return error as { code?: string; message: string }
  }
  throw new Error('expected an error')
}

test('reads rule severities from "strata.rules" in package.json', async () => {
  const dir = projectWith({ name: 'app', strata: { rules: { 'drop-table': 'off', 'missing-down': 'warning' } } })
  assert.equal((await loadLintConfig(dir)).rules, { 'drop-table': 'off', 'missing-down': 'warning' })
})

test('--rule flags override package.json', async () => {
  const dir = projectWith({ strata: { rules: { 'drop-table': 'off' } } })
  assert.equal((await loadLintConfig(dir, ['drop-table=error', 'truncate=warning'])).rules, { 'drop-table': 'error', truncate: 'warning' })
})

test('no package.json, or no strata section, means the defaults', async () => {
  assert.equal((await loadLintConfig(mkdtempSync(join(tmpdir(), 'strata-lint-none-')))).rules, {})
  assert.equal((await loadLintConfig(projectWith({ name: 'app' }))).rules, {})
})

test('an unknown rule or severity in a flag is a usage error naming it', async () => {
  const dir = projectWith({})
  const unknown = await errorOf(() => loadLintConfig(dir, ['drop-tabel=off']))
  assert.is(unknown.code, 'usage')
  assert.match(unknown.message, /unknown rule "drop-tabel"/)
  const level = await errorOf(() => loadLintConfig(dir, ['drop-table=fatal']))
  assert.is(level.code, 'usage')
  assert.match(level.message, /use off, warning or error/)
  assert.is((await errorOf(() => loadLintConfig(dir, ['drop-table']))).code, 'usage')
})

test('an unknown rule in package.json, or broken JSON, is a configuration error', async () => {
  assert.is((await errorOf(() => loadLintConfig(projectWith({ strata: { rules: { nope: 'off' } } })))).code, 'config')
  assert.is((await errorOf(() => loadLintConfig(projectWith('{ not json')))).code, 'config')
})

test.run()
