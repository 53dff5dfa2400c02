/**
 * A lint result cache, as ESLint's --cache and ruff do: linting is a pure function of the file's path and
 * content, the rule settings, whether its down file exists, and this build of Strata. Results are kept in
 * `.strata/cache/lint.json` in the project; a file whose key is found is not parsed again.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { lintSources, type Source } from './engine.js'
import type { Finding, LintConfig } from './types.js'

interface CacheFile {
  build: string
  entries: Record<string, Finding[]>
}

/** This build: the package version and when dist/ was built, so a rebuilt linter never reads old results. */
function buildId(): string {
  const here = fileURLToPath(import.meta.url)
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(here), '../../package.json'), 'utf8'))
    return `${pkg.version}:${statSync(here).mtimeMs}`
  } catch {
    return `unknown:${Date.now()}` // never matches: no cache rather than a wrong one
  }
}

function keyOf(source: Source, rules: string, fileExists: (path: string) => boolean, config: LintConfig): string {
  const downExists = fileExists(source.path.replace(/\.sql$/, '.down.sql'))
  const types = config.columnTypes?.get(source.path)
  if (types) rules += JSON.stringify([...types]) // alter-column-type reads the history's column types
  return createHash('sha256')
    .update(`${rules}\0${source.path}\0${downExists}\0${source.down ?? ''}\0${source.noTransaction ?? ''}\0`)
    .update(source.content)
    .digest('base64url')
}

function read(file: string, build: string): Record<string, Finding[]> {
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as CacheFile
    return cache.build === build ? cache.entries : {}
  } catch {
    return {}
  }
}

/** Write beside, then rename: a concurrent reader sees the old file or the new one, never half of one. */
function write(file: string, cache: CacheFile): void {
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(join(dirname(file), '.gitignore'), '*\n')
    const temp = `${file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(cache))
    renameSync(temp, file)
  } catch {
    // A read-only checkout still lints; it just does not remember.
  }
}

/** `lintSources`, answered from the cache where it can be; the cache keeps only the files of this call. */
export async function lintSourcesCached(sources: Source[], config: LintConfig, cacheFile: string): Promise<Finding[]> {
  const build = buildId()
  const known = read(cacheFile, build)
  const rules = JSON.stringify(Object.entries(config.rules).sort())
  const paths = new Set(sources.map((source) => source.path))
  const fileExists = config.fileExists ?? ((path: string) => paths.has(path)) // as lintSources decides
  const keys = sources.map((source) => keyOf(source, rules, fileExists, config))
  const misses = sources.filter((_, i) => !known[keys[i]])
  const fresh = new Map<string, Finding[]>(misses.map((s) => [s.path, []]))
  for (const finding of await lintSources(misses, config)) fresh.get(finding.file)?.push(finding)
  const entries: Record<string, Finding[]> = {}
  const findings = sources.flatMap((source, i) => (entries[keys[i]] = known[keys[i]] ?? fresh.get(source.path)!))
  if (misses.length) write(cacheFile, { build, entries })
  return findings
}

export const lintCacheFile = (cwd: string) => join(cwd, '.strata/cache/lint.json')
