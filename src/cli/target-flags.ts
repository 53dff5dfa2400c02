/**
 * The flags of a fan-out (`--targets FILE`, `--each-schema PATTERN`), declared with every migrate, status and
 * verify; the rest of the fan-out's command line (cli/targets.ts) loads only when one is asked for.
 */
import type sade from 'sade'
import type { Flags } from './options.js'

type Command = ReturnType<typeof sade>

/** The flags every fan-out takes; `rollout` adds --canary and --max-failures (migrate). */
export function targetFlags(cmd: Command, rollout = false): Command {
  cmd
    .option('--targets', 'run on every target of this file: one URL or database name per line (- reads standard input)')
    .option('--each-schema', 'run on every schema of the --url database whose name is LIKE this pattern, each with its own ledger')
    .option('--concurrency', 'connections to targets at once, at most (default 4)')
    .option('--shard', 'K/N: only the K-th of N stable slices of the targets (one job of a CI matrix)')
  if (rollout) {
    cmd
      .option('--canary', 'migrate the first K targets alone first; stop if any of them fails')
      .option('--max-failures', 'start no more targets after N have failed')
  }
  return cmd
}

export const wantsFanOut = (flags: Flags) => flags.targets !== undefined || flags['each-schema'] !== undefined
