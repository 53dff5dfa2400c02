/**
 * Servers that are not Postgres, for connection failures: all on 127.0.0.1 (or a unix socket in a temp dir),
 * started and stopped by the test itself. Tests never send traffic to any other address.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface Stub {
  port: number
  /** Connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

/** A TCP server on 127.0.0.1 that treats each connection with `handle`. */
export function stubServer(handle: (socket: Socket) => void): Promise<Stub> {
  const sockets = new Set<Socket>()
  let count = 0
  const server = createServer((socket) => {
    count++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    handle(socket)
  })
  return listening(server, 0, () => count, sockets)
}

/** Accepts, reads the startup packet, closes cleanly: what a web server or a proxy with no backend does. */
export const closesAfterStartup = () => stubServer((s) => s.once('data', () => s.end()))

/** Accepts and never says a word. */
export const neverAnswers = () => stubServer(() => {})

/** A 127.0.0.1 port that was just open and is now closed: nothing listens there. */
export async function deadPort(): Promise<number> {
  const stub = await stubServer(() => {})
  await stub.close()
  return stub.port
}

/** A unix socket at `path` whose connections are piped to a TCP port on 127.0.0.1 (the test Postgres). */
export function socketToTcp(path: string, port: number): Promise<Stub> {
  const sockets = new Set<Socket>()
  let count = 0
  const server = createServer((client) => {
    count++
    const upstream = connect(port, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()))
    }
    client.pipe(upstream).pipe(client)
  })
  return listening(server, path, () => count, sockets)
}

function listening(server: Server, where: number | string, count: () => number, sockets: Set<Socket>): Promise<Stub> {
  return new Promise((done, failed) => {
    server.on('error', failed)
    const ready = () => {
      const address = server.address()
      done({
        port: typeof address === 'object' && address ? address.port : 0,
        connections: count,
        close: () =>
          new Promise<void>((closed) => {
            for (const s of sockets) s.destroy()
            server.close(() => closed())
          }),
      })
    }
    if (typeof where === 'number') server.listen(where, '127.0.0.1', ready)
    else server.listen(where, ready)
  })
}

/** Milliseconds a promise took, with its value. */
export async function timed<T>(work: Promise<T>): Promise<{ ms: number; value: T }> {
  const start = Date.now()
  const value = await work
  return { ms: Date.now() - start, value }
}
