import { readProjectConfig } from '../config/project.js'
import { StrataError } from '../errors.js'
import { RULES } from './rules/index.js'
import type { LintConfig, SeveritySetting } from './types.js'

const SETTINGS: readonly SeveritySetting[] = ['off', 'warning', 'error']

/**
 * Rule severities from the `"strata": { "rules": { ... } }` section of `<cwd>/package.json`,
 * then `--rule <id>=off|warning|error` flags, which win. Throws StrataError ('usage' for a bad flag,
 * 'config' for a bad package.json) naming the problem.
 */
export function loadLintConfig(cwd: string, ruleFlags: string[] = []): LintConfig {
  const rules: Record<string, SeveritySetting> = {}
  for (const [id, setting] of Object.entries(readProjectConfig(cwd).rules ?? {})) {
    rules[id] = checkedSetting(id, setting, 'package.json "strata.rules"')
  }
  for (const flag of ruleFlags) {
    const [id, setting, extra] = flag.split('=')
    if (!id || setting === undefined || extra !== undefined) {
      throw new StrataError('usage', `--rule ${flag}: expected <rule>=off|warning|error, e.g. --rule drop-table=warning`)
    }
    rules[id.trim()] = checkedSetting(id.trim(), setting.trim(), '--rule')
  }
  return { rules }
}

function checkedSetting(id: string, setting: unknown, source: string): SeveritySetting {
  const code = source === '--rule' ? 'usage' : 'config'
  if (!RULES.has(id)) {
    throw new StrataError(code, `${source}: unknown rule "${id}". Known rules: ${[...RULES.keys()].join(', ')}`)
  }
  if (!SETTINGS.includes(setting as SeveritySetting)) {
    throw new StrataError(code, `${source}: rule "${id}" set to ${JSON.stringify(setting)}; use off, warning or error`)
  }
  return setting as SeveritySetting
}
