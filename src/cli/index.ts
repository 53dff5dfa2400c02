/**
 * The `strata` command line: a thin shell over the library. Each command's flags and rendering live
 * in their own file here; the work lives in src/commands/. Heavy modules load inside the actions.
 */
import sade from 'sade'
import { readFileSync } from 'node:fs'
import { StrataError } from '../errors.js'
import { loadEnvFile } from '../config/env-file.js'
import { makeOut, renderError } from './output.js'
import { beforeParserLoads } from '../sql/parser.js'
import { tuneForParser } from './v8-flags.js'
import { stopStartedServers } from '../db/processes.js'
import { str, type Action, type Flags, type Register } from './options.js'
import { registerMigrate } from './migrate.js'
import { registerStatus } from './status.js'
import { registerNew } from './new.js'
import { registerLint } from './lint.js'
import { registerBackup } from './backup.js'
import { registerRestore } from './restore.js'
import { registerVerify } from './verify.js'
import { registerRepair } from './repair.js'
import { registerBaseline } from './baseline.js'
import { registerAdopt } from './adopt.js'
import { registerReverse } from './reverse.js'
import { registerDown } from './down.js'
import { registerCheckReverse } from './check-reverse.js'
import { registerPlan } from './plan.js'
import { registerDiff } from './diff.js'
import { registerReset } from './reset.js'

const registrations: Register[] = [
  registerMigrate,
  registerStatus,
  registerNew,
  registerLint,
  registerBackup,
  registerRestore,
  registerVerify,
  registerRepair,
  registerBaseline,
  registerAdopt,
  registerReverse,
  registerDown,
  registerCheckReverse,
  registerPlan,
  registerDiff,
  registerReset,
]

const GLOBAL_FLAGS: [string, string, unknown?][] = [
  ['--url', 'Postgres URL (default: DATABASE_URL)'],
  ['--dir', 'migrations directory (default: STRATA_DIR, core/migrations, migrations)'],
  ['--schema', 'schema of the ledger tables (default: STRATA_SCHEMA, else strata)'],
  [
    '--layout',
    'read the folder as another tool does: prisma, supabase, dbmate, goose, golang-migrate, flyway, sqlx, node-pg-migrate, ... (default: STRATA_LAYOUT, package.json, detected)',
  ],
  ['--embedded', 'use the embedded Postgres in .strata/pg (no server needed)', false],
  ['--allow-embedded-in-ci', 'allow --embedded when CI is set', false],
  ['--env-file', 'read variables from this file (default: .env when present)'],
  [
    '--ssl-ca',
    'CA certificate to verify the server with (default: PGSSLROOTCERT); implies sslmode=verify-full unless the URL sets sslmode',
  ],
  ['--json', 'print one JSON document on stdout', false],
  ['--yes', 'confirm without a prompt', false],
  ['--format', 'pretty, or github (failures become annotations, automatic in GitHub Actions); lint: also json; plan: json, markdown'],
  ['--expect-host', 'refuse to run unless every database host matches this glob (else STRATA_EXPECT_HOST)'],
  ['--connect-timeout', 'give up a login that takes longer, over all hosts: 10s, 500ms (else STRATA_CONNECT_TIMEOUT, default 10s)'],
]

export async function main(argv: string[]): Promise<number> {
  beforeParserLoads(tuneForParser)
  stopEmbeddedOnExit()
  // `strata status | head`: the reader went away; stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0)
    throw e
  })
  const json = argv.includes('--json')
  let out = makeOut(json)
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  const prog = sade('strata').version(pkg.version)
  for (const [flag, desc, def] of GLOBAL_FLAGS) prog.option(flag, desc, def as string)
  let exitCode = 0
  const wrap =
    (action: Action) =>
    async (...args: unknown[]) => {
      const flags = args[args.length - 1] as Flags
      // One configuration path: every command sees the same environment, .env (or --env-file) included.
      loadEnvFile(str(flags, 'env-file'))
      out = makeOut(!!flags.json, typeof flags.url === 'string' ? flags.url : process.env.DATABASE_URL)
      exitCode = (await action(out, ...args)) ?? 0
    }
  for (const register of registrations) register(prog, wrap)

  const args = argv.slice(2)
  if (args.includes('--version') || args.includes('-v')) {
    process.stdout.write(`${pkg.version}\n`)
    return 0
  }
  if (args.length === 0) {
    process.stderr.write(helpText(prog))
    return 2
  }
  if (args[0] === 'help') {
    process.stdout.write(helpText(prog, args[1]))
    return 0
  }

  try {
    const known = Object.keys((prog as unknown as { tree: Record<string, unknown> }).tree).filter((k) => !k.startsWith('__'))
    const command = argv.slice(2).find((a) => !a.startsWith('-'))
    if (command && !known.includes(command))
      throw new StrataError('usage', `unknown command ${JSON.stringify(command)}; run strata --help for the list`)
    if (!command && !args.includes('--help') && !args.includes('-h')) {
      process.stderr.write(helpText(prog))
      throw new StrataError('usage', 'no command given; the commands are listed above')
    }
    const parsed = prog.parse(argv, {
      lazy: true,
      unknown: (flag: string) => {
        throw new StrataError('usage', `unknown option ${flag}; run strata ${command ?? ''} --help for the options`.replace('  ', ' '))
      },
    }) as unknown as { handler: (...a: unknown[]) => Promise<void>; args: unknown[] } | undefined
    if (!parsed) return 0 // --help or --version was printed
    if (!parsed.handler) throw new StrataError('usage', 'no command given; run strata --help')
    await parsed.handler(...parsed.args)
    return exitCode
  } catch (e) {
    if (!out.url) out = makeOut(out.json, process.env.DATABASE_URL)
    return await renderError(e, out)
  }
}

/**
 * An embedded server must not outlive the command that started it, even on Ctrl-C or a CI job's SIGTERM
 * (Node runs no 'exit' handlers on a signal).
 */
function stopEmbeddedOnExit(): void {
  const stop = () => stopStartedServers()
  process.once('exit', stop)
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      stop()
      process.exit(code)
    })
  }
}

/** sade's help for the program or one command, as text (sade itself prints it with console.log). */
function helpText(prog: ReturnType<typeof sade>, command?: string): string {
  const tree = (prog as unknown as { tree: Record<string, unknown> }).tree
  const known = command && typeof tree[command] === 'object' && !command.startsWith('__') ? command : undefined
  const lines: string[] = []
  const log = console.log
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '))
  try {
    prog.help(known)
  } finally {
    console.log = log
  }
  return lines.join('\n') + '\n'
}
