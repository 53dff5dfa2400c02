import { readProjectConfig } from '../config/project.js'
import { StrataError } from '../errors.js'
import type { LintConfig, SeveritySetting } from './types.js'

const SETTINGS: readonly SeveritySetting[] = ['off', 'warning', 'error']

/**
 * Rule severities from the `"strata": { "rules": { ... } }` section of `<cwd>/package.json`,
 * then `--rule <id>=off|warning|error` flags, which win. Throws StrataError ('usage' for a bad flag,
 * 'config' for a bad package.json) naming the problem. The rules themselves load only to check settings that
 * name one: a lint answered from its cache never loads them.
 */
export async function loadLintConfig(cwd: string, ruleFlags: string[] = []): Promise<LintConfig> {
  const settings: [id: string, setting: unknown, source: string][] = Object.entries(readProjectConfig(cwd).rules ?? {}).map(
    ([id, setting]) => [id, setting, 'package.json "strata.rules"'],
  )
  for (const flag of ruleFlags) {
    const [id, setting, extra] = flag.split('=')
    if (!id || setting === undefined || extra !== undefined) {
      throw new StrataError('usage', `--rule ${flag}: expected <rule>=off|warning|error, e.g. --rule drop-table=warning`)
    }
    settings.push([id.trim(), setting.trim(), '--rule'])
  }
  const rules: Record<string, SeveritySetting> = {}
  if (!settings.length) return { rules }
  const { RULES } = await import('./rules/index.js')
  for (const [id, setting, source] of settings) rules[id] = checkedSetting(RULES, id, setting, source)
  return { rules }
}

function checkedSetting(known: ReadonlyMap<string, unknown>, id: string, setting: unknown, source: string): SeveritySetting {
  const code = source === '--rule' ? 'usage' : 'config'
  if (!known.has(id)) {
    throw new StrataError(code, `${source}: unknown rule "${id}". Known rules: ${[...known.keys()].join(', ')}`)
  }
  if (!SETTINGS.includes(setting as SeveritySetting)) {
    throw new StrataError(code, `${source}: rule "${id}" set to ${JSON.stringify(setting)}; use off, warning or error`)
  }
  return setting as SeveritySetting
}
