/**
 * A real PgBouncer in transaction mode, started by a test in front of the test Postgres: the same
 * pooling Supabase's transaction pooler (Supavisor, port 6543) does. Throws, saying why, when pgbouncer is
 * not installed or will not start: the pooler tests never skip (.ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { delimiter, join } from 'node:path'

export interface Bouncer {
  port: number
  version: string
  /** The same database, user and password, through the pooler. */
  pooled(url: string): string
  stop(): Promise<void>
}

export interface BouncerOptions {
  /** Server connections per database and user: small, so that clients really share them. */
  poolSize?: number
}

export async function startPgBouncer(upstream: string, { poolSize = 2 }: BouncerOptions = {}): Promise<Bouncer> {
  const bin = findBinary()
  if (!bin) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer; .ci/run installs it)')
  const version = /PgBouncer (\d+\.\d+(?:\.\d+)?)/.exec(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown'
  const u = new URL(upstream)
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgbouncer-'))
  chmodSync(dir, 0o755)
  const port = await freePort()
  const runAs = serverUser()
  const userlist = join(dir, 'userlist.txt')
  // A plain-text password lets PgBouncer do SCRAM both with the client and with the server.
  writeFileSync(userlist, `"${decodeURIComponent(u.username)}" "${decodeURIComponent(u.password)}"\n`, { mode: 0o600 })
  if (runAs) chownSync(userlist, runAs.uid, runAs.gid)
  const ini = join(dir, 'pgbouncer.ini')
  writeFileSync(ini, config({ host: u.hostname, port: u.port || '5432', listen: port, userlist, poolSize, version }), { mode: 0o644 })

  const args = runAs ? ['-u', runAs.name, ini] : [ini] // pgbouncer refuses to run as root
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  try {
    await ready(child)
  } catch (e) {
    child.kill('SIGKILL')
    cleanup()
    throw new Error(`pgbouncer ${version} did not start: ${(e as Error).message}`)
  }
  const kill = () => child.kill('SIGTERM')
  process.once('exit', kill)
  return {
    port,
    version,
    pooled(url) {
      const p = new URL(url)
      p.hostname = '127.0.0.1'
      p.port = String(port)
      return p.toString()
    },
    stop: () =>
      new Promise<void>((done) => {
        process.off('exit', kill)
        if (child.exitCode !== null) return (cleanup(), done())
        child.once('exit', () => (cleanup(), done()))
        kill() // SIGTERM: immediate shutdown
      }),
  }
}

function config(o: { host: string; port: string; listen: number; userlist: string; poolSize: number; version: string }): string {
  const [major, minor] = o.version.split('.').map(Number)
  // 1.21+ can track prepared statements; 0 switches that off, like Supavisor and every older PgBouncer.
  const preparedOff = major > 1 || (major === 1 && minor >= 21) ? 'max_prepared_statements = 0\n' : ''
  return `[databases]
* = host=${o.host} port=${o.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${o.listen}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${o.userlist}
pool_mode = transaction
default_pool_size = ${o.poolSize}
max_client_conn = 200
${preparedOff}ignore_startup_parameters = extra_float_digits
`
}

function findBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin']
  return dirs.map((d) => join(d, 'pgbouncer')).find((p) => existsSync(p))
}

function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody')
  return entry && { name: entry[0], uid: Number(entry[2]), gid: Number(entry[3]) }
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((done, failed) => {
    let log = ''
    const timer = setTimeout(() => failed(new Error(`no "process up" within 10s: ${log.trim().split('\n').slice(-2).join(' ')}`)), 10_000)
    const onData = (d: Buffer) => {
      log += d
      if (!/process up/.test(log)) return
      clearTimeout(timer)
      child.stderr!.off('data', onData)
      child.stderr!.resume() // keep draining: a full pipe would block pgbouncer
      done()
    }
    child.stderr!.on('data', onData)
    child.on('error', (e) => (clearTimeout(timer), failed(e)))
    child.on(
      'exit',
      (code) => (clearTimeout(timer), failed(new Error(`exited with code ${code}: ${log.trim().split('\n').slice(-2).join(' ')}`))),
    )
  })
}

function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const srv = createServer()
    srv.on('error', failed)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => done(port))
    })
  })
}
