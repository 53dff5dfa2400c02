/**
 * Many databases: one command over every target of a `--targets` file (a database per tenant, region,
 * environment) or every tenant schema of `--each-schema`. Each target gets an ordinary run of the command, with
 * the same protocol, lock and ledger as a single `strata migrate`; the only state is each target's own ledger,
 * so a rerun goes on where the last one stopped. The files are read once, and linted once, for all targets.
 */
import { resolveOptions, type CommonOptions, type Resolved } from '../config/index.js'
import { checkExpectedHost, openTarget } from '../db/target.js'
import { scrubSecrets } from '../db/url.js'
import { StrataError } from '../errors.js'
import type { Finding } from '../lint/index.js'
import { readHistory, type History } from '../runner/files.js'
import { lintPending, sharedLinter } from '../runner/lint-gate.js'
import { decideRunModes } from '../runner/run-mode.js'
import { parseShard, parseTargets, readTargetLines, takeShard, type TargetSource, type TargetSpec } from './list.js'
import { schedule, type Counts, type TargetResult } from './scheduler.js'
import { Connections } from './connections.js'
import { discoverSchemas, withSessionSearchPath } from './schemas.js'

export type { TargetSpec, TargetSource } from './list.js'
export type { TargetResult, TargetStatus, Counts } from './scheduler.js'
export { tenantLedger, refusedSearchPath } from './schemas.js'

/** Connections to targets at once when --concurrency is not given. */
export const DEFAULT_CONCURRENCY = 4

export interface TargetsOptions extends CommonOptions {
  /** A file with one target per line (a URL, or a database name on the server of `url`), `-` for standard input, or the lines. */
  targets?: TargetSource
  /** A LIKE pattern: every schema of the `url` database whose name matches is a tenant. */
  eachSchema?: string
  /** Connections to targets at once, at most (default 4). */
  concurrency?: number
  /** Run the first K targets alone first, and stop when any of them fails. */
  canary?: number
  /** Start no more targets after this many failed. */
  maxFailures?: number
  /** `K/N`: only the K-th of N stable slices of the targets (one machine of a CI matrix). */
  shard?: string
  /** Told what happens besides results: the targets found, each start, notes, lint findings (once for all targets). */
  onTargets?: (event: TargetsEvent) => void | Promise<void>
}

export type TargetsEvent =
  /** The targets to run (`of` before --shard), by name, read from `from`. */
  | { type: 'targets'; names: string[]; of: number; from: string; concurrency: number }
  | { type: 'start'; target: TargetSpec }
  | { type: 'note'; target: string; message: string }
  | { type: 'lint'; findings: Finding[] }

/** What one target's run gets: its spec, the options to give the command, and a way to say something. */
export interface TargetJob {
  spec: TargetSpec
  /** The common options, pointed at this target: URL, ledger schema, the files, the connection budget. */
  options: CommonOptions & { history: History; lint: typeof lintPending }
  note(message: string): void
  /** Every target of this run (this machine's shard). */
  all: TargetSpec[]
  /** A tenant schema's URL with its search_path as a connection setting, which no-transaction files need. */
  sessionUrl?: string
}

export interface FanOutCommand<R> {
  /** Refuse what cannot work across targets, before anything connects. */
  check?(options: TargetsOptions): void
  run(job: TargetJob): Promise<R>
}

/**
 * The results of a fan-out, as each target finishes: `for await (const r of run)`. Targets that were not
 * started come last. `counts` is live, for a progress line; `all()` collects everything.
 */
export class TargetRun<R> implements AsyncIterable<TargetResult<R>> {
  readonly counts: Counts = { total: 0, done: 0, failed: 0, running: 0, left: 0 }

  constructor(
    private readonly options: TargetsOptions,
    private readonly command: FanOutCommand<R>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<TargetResult<R>> {
    const { options, command } = this
    const concurrency = count('--concurrency', options.concurrency ?? DEFAULT_CONCURRENCY, 1)
    const canary = count('--canary', options.canary ?? 0, 0)
    const maxFailures = options.maxFailures === undefined ? undefined : count('--max-failures', options.maxFailures, 1)
    command.check?.(options)
    const connections = new Connections(concurrency, options.eachSchema !== undefined)
    try {
      const { cfg, targets, from, of } = await selectTargets({ ...options, connections })
      const history = readHistory(cfg.dir, cfg.cwd, cfg.layout)
      const files = history.files
      await decideRunModes(files) // which files run without a transaction, before the connections are counted
      const notify = options.onTargets ?? (() => {})
      notify({ type: 'targets', names: targets.map((t) => t.name), of, from, concurrency })
      // A no-transaction file holds a second connection while it runs (its claim): leave room for one.
      const limit = files.some((f) => f.noTransaction) && concurrency > 1 ? concurrency - 1 : concurrency
      const shared = {
        ...options,
        dir: cfg.dir,
        schema: cfg.schema,
        embedded: false,
        onTarget: undefined,
        history,
        connections,
        lint: sharedLinter((findings) => notify({ type: 'lint', findings })),
      }
      const run = async (spec: TargetSpec): Promise<R> => {
        notify({ type: 'start', target: spec })
        try {
          return await command.run({
            spec,
            options: { ...shared, url: spec.url, schema: spec.schema },
            note: (message) => notify({ type: 'note', target: spec.name, message }),
            all: targets,
            sessionUrl: spec.kind === 'schema' ? withSessionSearchPath(spec) : undefined,
          })
        } catch (e) {
          throw scrubbed(e, spec.url)
        }
      }
      yield* schedule(targets, run, { limit, canary, maxFailures }, this.counts)
    } finally {
      await connections.close()
    }
  }

  /** Every result, in the order of the target list. */
  async all(): Promise<TargetResult<R>[]> {
    const results: TargetResult<R>[] = []
    for await (const r of this) results.push(r)
    return results.sort((a, b) => a.index - b.index)
  }
}

/** The targets of this run: from the file or the schemas, then this machine's shard; every host checked first. */
async function selectTargets(options: TargetsOptions): Promise<{ cfg: Resolved; targets: TargetSpec[]; from: string; of: number }> {
  if ((options.targets === undefined) === (options.eachSchema === undefined))
    throw new StrataError('usage', 'give either --targets FILE or --each-schema PATTERN')
  if (options.embedded) throw new StrataError('usage', '--embedded is one database: --targets and --each-schema need URLs')
  const shard = options.shard === undefined ? undefined : parseShard(options.shard)
  let cfg: Resolved
  let all: TargetSpec[]
  let from: string
  if (options.targets !== undefined) {
    const cwd = options.cwd ?? process.cwd()
    const base = options.url ?? ((options.env ?? process.env).DATABASE_URL || undefined)
    const read = readTargetLines(options.targets, cwd)
    from = read.from
    all = parseTargets(read.lines, from, { url: base, schema: 'strata' })
    cfg = resolveOptions({ ...options, url: base ?? all[0].url }) // the directory, ledger schema and checks of any run
    all = all.map((t) => ({ ...t, schema: cfg.schema }))
  } else {
    cfg = resolveOptions(options)
    from = `schemas like '${options.eachSchema}'`
    const target = await openTarget(cfg, { arrays: false }) // says where, as every command does
    try {
      all = await discoverSchemas(target.sql, cfg.url!, options.eachSchema!, cfg.schema)
    } finally {
      await target.close()
    }
    if (!all.length)
      throw new StrataError('config', `no schema of ${target.shown} is like '${options.eachSchema}'`, {
        hint: 'a LIKE pattern: % matches any run of characters, _ any one (write \\_ for an underscore)',
      })
  }
  for (const t of all) {
    try {
      checkExpectedHost(t.url, cfg.expectHost) // before any target is touched: a wrong line stops the whole run
    } catch (e) {
      throw new StrataError('config', `${t.line ? `${from}:${t.line}: ` : ''}${(e as Error).message}`, (e as StrataError).facts)
    }
  }
  const targets = shard ? takeShard(all, shard) : all
  return { cfg, targets, from: shard ? `${from}, shard ${shard.index}/${shard.count}` : from, of: all.length }
}

function count(flag: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new StrataError('usage', `${flag} must be a whole number, at least ${min}`)
  return value
}

/** A target's own URL may hold a password that the CLI does not know: take it out of the error here. */
function scrubbed(e: unknown, url: string): unknown {
  if (!(e instanceof StrataError)) return e
  e.message = scrubSecrets(e.message, url)
  for (const [key, value] of Object.entries(e.facts)) if (typeof value === 'string') e.facts[key] = scrubSecrets(value, url)
  return e
}
