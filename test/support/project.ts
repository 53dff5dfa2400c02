/** Throwaway project folders with migration files, and the strata CLI run as a real process. */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..')
export const bin = join(repoRoot, 'bin/strata.js')

/** A folder with `files` (path → content) written inside it; returns its path. */
export function project(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-project-'))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

export interface Run {
  code: number
  stdout: string
  stderr: string
}

export interface RunAs {
  uid?: number
  gid?: number
  /** A command the CLI runs under, e.g. setpriv with its options. */
  prefix?: string[]
}

export function strata(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> } & RunAs): Promise<Run> {
  return new Promise((done) => {
    // The suite runs the same on a laptop and in CI: a test that wants CI set says so.
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: undefined,
      CI: undefined,
      GITHUB_ACTIONS: undefined,
      NO_COLOR: '1',
      ...opts.env,
    }
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
    const [command, ...before] = [...(opts.prefix ?? []), process.execPath]
    const child = spawn(command!, [...before, bin, ...args], {
      cwd: opts.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: opts.uid,
      gid: opts.gid,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => done({ code: code ?? -1, stdout, stderr }))
  })
}
