/**
 * The project's own configuration: the `"strata"` section of `<cwd>/package.json`. Read here and nowhere else,
 * so each key (today `rules`) has one home and one check.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StrataError } from '../errors.js'

export interface ProjectConfig {
  /** Lint rule severities by rule id, as written (src/lint/config.ts checks ids and values). */
  rules?: Record<string, unknown>
  /** The tool whose folder layout the migrations directory has (src/layouts/ checks the name). */
  layout?: string
  /** The first version of new work: files before it are an adopted history, linted without blocking. */
  enforceFrom?: string
}

const KEYS: readonly (keyof ProjectConfig)[] = ['rules', 'layout', 'enforceFrom']

/** The validated `"strata"` section of `<cwd>/package.json`; empty when there is no package.json or no section. */
export function readProjectConfig(cwd: string): ProjectConfig {
  const file = join(cwd, 'package.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch (error) {
    throw new StrataError('config', `${file} is not valid JSON: ${(error as Error).message}`, { file })
  }
  const section = (manifest as { strata?: unknown } | null)?.strata
  if (section === undefined) return {}
  if (!isObject(section)) throw new StrataError('config', 'package.json "strata" must be an object, e.g. { "rules": { ... } }', { file })
  const unknown = Object.keys(section).filter((key) => !KEYS.includes(key as keyof ProjectConfig))
  if (unknown.length) {
    throw new StrataError('config', `package.json "strata" has unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, {
      file,
      hint: `the keys Strata reads there: ${KEYS.join(', ')}`,
    })
  }
  const { rules, layout, enforceFrom } = section
  if (rules !== undefined && !isObject(rules))
    throw new StrataError('config', 'package.json "strata.rules" must be an object like { "drop-table": "warning" }', { file })
  for (const [key, value] of Object.entries({ layout, enforceFrom }))
    if (value !== undefined && (typeof value !== 'string' || !value.trim()))
      throw new StrataError(
        'config',
        `package.json "strata.${key}" must be a string, e.g. ${key === 'layout' ? '"goose"' : '"20240101000000"'}`,
        { file },
      )
  return {
    ...(rules === undefined ? {} : { rules }),
    ...(layout === undefined ? {} : { layout: layout as string }),
    ...(enforceFrom === undefined ? {} : { enforceFrom: (enforceFrom as string).trim() }),
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Set keys of the `"strata"` section that are not set yet (what `adopt` and `baseline` learn: the layout, where
 * new work starts). Never overwrites a key a person set. Returns what it wrote, or undefined when there is no
 * package.json to write to.
 */
export function recordProjectConfig(
  cwd: string,
  values: Partial<Record<'layout' | 'enforceFrom', string>>,
): Record<string, string> | undefined {
  const file = join(cwd, 'package.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  readProjectConfig(cwd) // refuses a section it cannot read, before anything is written
  const manifest = JSON.parse(text) as { strata?: Record<string, unknown> }
  const section = (manifest.strata ??= {})
  const written: Record<string, string> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || section[key] !== undefined) continue
    section[key] = value
    written[key] = value
  }
  if (Object.keys(written).length)
    writeFileSync(file, JSON.stringify(manifest, null, /^\{\n(\s+)/.exec(text)?.[1] ?? 2) + (text.endsWith('\n') ? '\n' : ''))
  return written
}
