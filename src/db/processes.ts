/**
 * Server processes this process started (the embedded Postgres) and has not stopped yet. Kept apart from
 * embedded.ts so that the CLI can stop them on a signal without loading the server code on every start.
 */
import type { ChildProcess } from 'node:child_process'

const running = new Set<ChildProcess>()

export function track(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
}

/**
 * Stop them all at once (fast shutdown: open transactions roll back). For a process about to exit on a
 * signal, when Node runs no 'exit' handlers. The library installs no signal handler; the CLI does.
 */
export function stopStartedServers(): void {
  for (const child of running) child.kill('SIGINT')
}
