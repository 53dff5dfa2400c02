import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Count WebAssembly instantiations: libpg-query is WASM, so this is how a user pays for loading it.
let instantiations = 0
const instantiate = WebAssembly.instantiate.bind(WebAssembly)
WebAssembly.instantiate = ((...args: Parameters<typeof WebAssembly.instantiate>) => {
  instantiations++
  return instantiate(...args)
}) as typeof WebAssembly.instantiate

const { runLint } = await import('../../src/commands/lint.js')
const { lintSources } = await import('../../src/lint/index.js')

test('linting nothing never loads the parser', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'strata-lint-empty-'))
  const result = await runLint({ paths: [], dir: empty, format: 'json', cwd: empty })
  assert.equal(result.findings, [])
  assert.equal(await lintSources([]), [])
  assert.is(instantiations, 0)
})

test('the parser loads once, however many files are linted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-lint-files-'))
  for (const name of ['001_a.sql', '002_b.sql', '003_c.sql']) writeFileSync(join(dir, name), 'SELECT 1;')
  await runLint({ paths: [], dir, format: 'json', cwd: dir })
  await lintSources([{ path: 'x.sql', content: 'SELECT 2;' }])
  assert.is(instantiations, 1)
})

test.run()
