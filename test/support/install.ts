/**
 * A throwaway install of the built CLI (dist, bin, package.json) with a node_modules that symlinks the repo's
 * packages, except those left out or copied: to run strata as an app would that installed it differently.
 */
import { spawn } from 'node:child_process'
import { cpSync, linkSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bin, repoRoot, type Run } from './project.js'

export interface InstallOptions {
  /** Package names (or scopes, `@scope`) that are not installed at all. */
  without?: string[]
  /** Package names (or scopes) copied as real directories (hard links, no extra space) instead of symlinked. */
  copied?: string[]
  /** Where the install goes (default: a new temp dir). */
  into?: string
}

/** Returns the path of its bin/strata.js. */
export function tempInstall({ without = [], copied = [], into }: InstallOptions = {}): string {
  const root = into ?? mkdtempSync(join(tmpdir(), 'strata-install-'))
  for (const part of ['dist', 'bin', 'package.json']) cpSync(join(repoRoot, part), join(root, part), { recursive: true })
  const modules = join(root, 'node_modules')
  mkdirSync(modules, { recursive: true })
  for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
    if (without.includes(name)) continue
    const from = join(repoRoot, 'node_modules', name)
    if (copied.includes(name)) hardLinkTree(from, join(modules, name))
    else symlinkSync(from, join(modules, name))
  }
  return join(root, 'bin/strata.js')
}

function hardLinkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true })
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [src, dst] = [join(from, entry.name), join(to, entry.name)]
    if (entry.isDirectory()) hardLinkTree(src, dst)
    else if (entry.isSymbolicLink()) cpSync(src, dst, { verbatimSymlinks: true })
    else if (statSync(src).isFile()) linkSync(src, dst)
  }
}

/** Run an installed CLI, like strata() does for the repo's own; killed (code -1) when it outlives `limitMs`. */
export function runInstalled(
  bin: string,
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
  limitMs = 120_000,
): Promise<Run> {
  return new Promise((done) => {
    const all: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: undefined,
      CI: undefined,
      GITHUB_ACTIONS: undefined,
      NO_COLOR: '1',
      ...env,
    }
    for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k]
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: all as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('exit', (code) => (clearTimeout(timer), done({ code: code ?? -1, stdout, stderr })))
  })
}

/** The repo's CLI, killed when it outlives `limitMs`: a test of a hang fails instead of hanging. */
export const strataWithin = (limitMs: number, args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }) =>
  runInstalled(bin, args, opts.cwd, opts.env, limitMs)
