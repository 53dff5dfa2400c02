/**
 * A lint result cache, as ESLint's --cache and ruff do: linting is a pure function of the file's path and
 * content, the rule settings, whether its down file exists, and this build of Strata; and, for the rare file
 * whose findings looked at the files before it (src/lint/history.ts), of those files too, so that entry also
 * keeps a digest of them. Results are kept in `.strata/cache/lint.json` in the project; a file whose key is
 * found is not parsed again.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Source } from './engine.js'
import type { EarlierFiles } from './history.js'
import { missingDown } from './rules/missing-down.js'
import type { Finding, LintConfig } from './types.js'

interface Entry {
  findings: Finding[]
  /** Digest of the files before this one, when its findings depended on them. */
  history?: string
}

interface CacheFile {
  build: string
  entries: Record<string, Entry>
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

/** `fileExists` is undefined when no rule looks at down files (missing-down is off by default): no disk lookup per file then. */
function keyOf(source: Source, rules: string, fileExists: ((path: string) => boolean) | undefined, config: LintConfig): string {
  const downExists = fileExists?.(source.path.replace(/\.sql$/, '.down.sql'))
  const types = config.columnTypes?.get(source.path)
  if (types) rules += JSON.stringify([...types]) // alter-column-type reads the history's column types
  return createHash('sha256')
    .update(`${rules}\0${source.path}\0${downExists}\0${source.down ?? ''}\0${source.noTransaction ?? ''}\0`)
    .update(source.content)
    .digest('base64url')
}

function read(file: string, build: string): Record<string, Entry> {
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
  const downFiles = (config.rules['missing-down'] ?? missingDown.defaultSeverity) !== 'off'
  const keys = sources.map((source) => keyOf(source, rules, downFiles ? fileExists : undefined, config))
  const fresh = (i: number) => {
    const entry = known[keys[i]!]
    return entry !== undefined && (entry.history === undefined || entry.history === historyDigest(config.earlier, sources[i]!.path))
  }
  const misses = sources.filter((_, i) => !fresh(i))
  // Which of the files linted now looked at the files before them (the engine asks lazily, only when a rule needs to).
  const lookedBack = new Set<string>()
  const linted = new Map<string, Finding[]>(misses.map((s) => [s.path, []]))
  if (misses.length) {
    // Every file answered from the cache: the engine, its rules and the parser are never loaded.
    const { lintSources } = await import('./engine.js')
    for (const finding of await lintSources(misses, { ...config, lookedBack })) linted.get(finding.file)?.push(finding)
  }
  const entries: Record<string, Entry> = {}
  const findings = sources.flatMap((source, i) => {
    const entry: Entry = linted.has(source.path)
      ? {
          findings: linted.get(source.path)!,
          history: lookedBack.has(source.path) ? historyDigest(config.earlier, source.path) : undefined,
        }
      : known[keys[i]!]!
    entries[keys[i]!] = entry
    return entry.findings
  })
  if (misses.length) write(cacheFile, { build, entries })
  return findings
}

// Each earlier file hashed once per run: the digest of a history is the hash of its files' hashes.
const fileDigests = new WeakMap<object, Buffer>()

function historyDigest(earlier: EarlierFiles | undefined, path: string): string {
  const hash = createHash('sha256')
  for (const file of earlier?.(path) ?? []) {
    let digest = fileDigests.get(file)
    if (!digest) fileDigests.set(file, (digest = createHash('sha256').update(`${file.path}\0`).update(file.content).digest()))
    hash.update(digest)
  }
  return hash.digest('base64url')
}

export const lintCacheFile = (cwd: string) => join(cwd, '.strata/cache/lint.json')
