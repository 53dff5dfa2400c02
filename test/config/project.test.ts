import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StrataError } from '../../src/index.js'
import { readProjectConfig } from '../../src/config/project.js'
import { loadLintConfig } from '../../src/lint/index.js'
import { project } from '../support/project.js'

const withManifest = (manifest: unknown) => project({ 'package.json': typeof manifest === 'string' ? manifest : JSON.stringify(manifest) })

function errorOf(action: () => unknown): StrataError {
  try {
    action()
  } catch (e) {
    assert.instance(e, StrataError)
    return e as StrataError
  }
  throw new Error('expected a StrataError')
}

test('the "strata" section of package.json, or nothing when there is no package.json or no section', () => {
  assert.equal(readProjectConfig(withManifest({ strata: { rules: { 'drop-table': 'warning' } } })), { rules: { 'drop-table': 'warning' } })
  assert.equal(readProjectConfig(withManifest({ name: 'app' })), {})
  assert.equal(readProjectConfig(project({})), {})
})

test('a section that is not an object, an unknown key, or rules that are not an object is a configuration error', () => {
  const notObject = errorOf(() => readProjectConfig(withManifest({ strata: ['rules'] })))
  assert.is(notObject.code, 'config')
  const unknown = errorOf(() => readProjectConfig(withManifest({ strata: { rule: { 'drop-table': 'off' } } })))
  assert.is(unknown.code, 'config')
  assert.match(unknown.message, /unknown key\(s\) "rule"/)
  assert.match(String(unknown.facts.hint), /rules/)
  assert.is(errorOf(() => readProjectConfig(withManifest({ strata: { rules: 'strict' } }))).code, 'config')
  const json = errorOf(() => readProjectConfig(withManifest('{ "strata": ')))
  assert.match(json.message, /package\.json is not valid JSON/)
})

test('lint reads its rule settings through it', async () => {
  const cwd = withManifest({ strata: { rules: { 'drop-table': 'off' } } })
  assert.equal((await loadLintConfig(cwd)).rules, { 'drop-table': 'off' })
  const refused = await loadLintConfig(withManifest({ strata: { rulez: {} } })).then(
    () => undefined,
    (e: { code?: string }) => e,
  )
  assert.is(refused?.code, 'config')
})

test.run()
