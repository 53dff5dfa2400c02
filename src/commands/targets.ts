/**
 * The fan-out forms of `migrate`, `status` and `verify` (`--targets FILE`, `--each-schema PATTERN`): each target
 * gets the ordinary command (src/commands/migrate.ts, status.ts, verify.ts), scheduled by src/targets/. Kept
 * apart from those files so that a run against one database never loads the scheduler.
 */
import { StrataError } from '../errors.js'
import { refusedSearchPath, TargetRun, type TargetsOptions } from '../targets/index.js'
import { migrate, type AppliedFile, type MigrateOptions, type MigrateResult, type Progress } from './migrate.js'
import { status, type StatusResult } from './status.js'
import { verify, type VerifyOptions, type VerifyResult } from './verify.js'

/** A target's run in a fan-out: what `migrate` returns, and the highest version applied there now. */
export interface TargetMigrateResult extends MigrateResult {
  version: number | null
}

/**
 * `strata migrate --targets FILE | --each-schema PATTERN`: an ordinary `migrate` on every target (src/targets/),
 * the files read and linted once for all; results as each target finishes. A failed target's error carries
 * `versionReached`, the highest version applied there, and `appliedFiles`, what this run applied before it failed.
 */
export function migrateTargets(options: MigrateOptions & TargetsOptions): TargetRun<TargetMigrateResult> {
  return new TargetRun(options, {
    check: () => {
      if (options.backup && options.eachSchema !== undefined)
        throw new StrataError('usage', '--backup cannot follow tenant schemas yet: back them up with --targets or one by one')
    },
    run: async ({ spec, options: target, note, sessionUrl }) => {
      let version: number | null = null
      const applied: AppliedFile[] = []
      const onProgress = (e: Progress) => {
        if (e.type === 'plan') version = e.version
        else if (e.type === 'applied') {
          version = Math.max(version ?? 0, e.file.version)
          applied.push({ version: e.file.version, name: e.file.name, path: e.file.path, ms: e.ms })
        } else if (e.type === 'waiting' || e.type === 'note') note(e.message)
      }
      const attempt = (url: string) => migrate({ ...options, ...target, url, searchPath: spec.searchPath, confirm: undefined, onProgress })
      try {
        let result: MigrateResult
        try {
          result = await attempt(target.url!)
        } catch (e) {
          // A no-transaction file of a tenant schema stopped before it ran: go on on a connection that has the
          // tenant's search_path of its own (a pooler that refuses that keeps the first refusal standing).
          if (!sessionUrl || !(e instanceof StrataError) || !e.facts.needsSessionSearchPath) throw e
          result = await attempt(sessionUrl).catch((again) => Promise.reject(refusedSearchPath(again) ? e : again))
        }
        return { ...result, applied, version }
      } catch (e) {
        if (e instanceof StrataError) Object.assign(e.facts, { versionReached: version, appliedFiles: applied })
        throw e
      }
    },
  })
}

/** `strata status --targets FILE | --each-schema PATTERN`: `status` of every target (src/targets/), as each answers. */
export function statusTargets(options: TargetsOptions = {}): TargetRun<StatusResult> {
  return new TargetRun(options, { run: ({ options: target }) => status(target) })
}

/**
 * `strata verify --targets FILE | --each-schema PATTERN`: `verify` of every target (src/targets/), as each
 * answers. A tenant schema is checked with its own search_path, leaving the other tenants out.
 */
export function verifyTargets(options: VerifyOptions & TargetsOptions = {}): TargetRun<VerifyResult> {
  let tenants: string[] | undefined
  return new TargetRun(options, {
    check: () => {
      if (options.shadow)
        throw new StrataError('usage', '--shadow replays the files for one database: run it per target (e.g. on a canary)')
    },
    run: ({ spec, options: target, all }) => {
      tenants ??= all.filter((t) => t.kind === 'schema').flatMap((t) => [t.name, t.schema])
      const skipSchemas = spec.kind === 'schema' ? tenants.filter((s) => s !== spec.name && s !== spec.schema) : undefined
      return verify({ ...options, ...target, searchPath: spec.searchSchemas, skipSchemas })
    },
  })
}
