/**
 * Rows in and out of Postgres with COPY, streamed through gzip files: memory stays flat whatever a table's
 * size. The uncompressed COPY text is counted and hashed on the way, in both directions, so a backup records
 * what it wrote and a restore proves it loaded exactly that.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { constants, createGunzip, createGzip } from 'node:zlib'
import type { Sql } from '../db/connect.js'
import { DataTap } from './tap.js'

export interface Copied {
  rows: number
  /** Bytes of uncompressed COPY text. */
  bytes: number
  sha256: string
}

/**
 * Settings that make COPY text the same on every server and session (as pg_dump sets them): dates in ISO and
 * UTC, floats exact, bytea in hex. Transaction-local, so nothing stays on a pooled connection.
 */
export const STABLE_TEXT_SQL = `select set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, YMD', true),
  set_config('intervalstyle', 'postgres', true), set_config('extra_float_digits', '3', true), set_config('bytea_output', 'hex', true)`

/** Level 1: several times faster than the default for a little more disk; COPY text compresses well either way. */
const GZIP = { level: constants.Z_BEST_SPEED }

/** `copy ... to stdout` into a gzip file. `onBytes` hears the uncompressed bytes so far (for progress). */
export async function copyToFile(sql: Sql, copy: string, path: string, onBytes?: (bytes: number) => void): Promise<Copied> {
  const readable = await sql.unsafe(copy).readable()
  const tap = new DataTap(onBytes)
  await pipeline(readable, tap, createGzip(GZIP), createWriteStream(path, { mode: 0o600 }))
  // postgres.js 3.4 pauses its socket when a chunk fills the stream's buffer; if the COPY ended in that
  // same chunk nothing resumes it, and the next query on the connection hangs (porsager/postgres#499).
  // The stream's read hook is the driver's socket.resume().
  ;(readable as unknown as { _read(size: number): void })._read(0)
  return { rows: tap.rows, bytes: tap.bytes, sha256: tap.digest() }
}

/** A gzip file into `copy ... from stdin`. */
export async function copyFromFile(sql: Sql, copy: string, path: string, onBytes?: (bytes: number) => void): Promise<Copied> {
  const query = sql.unsafe(copy)
  const failed = serverFailure(query as unknown as { reject: (e: unknown) => unknown })
  const writable = await Promise.race([query.writable(), failed])
  const tap = new DataTap(onBytes)
  const file = createReadStream(path)
  try {
    await Promise.race([pipeline(file, createGunzip(), tap, writable), failed])
  } catch (e) {
    file.destroy()
    throw e
  }
  return { rows: tap.rows, bytes: tap.bytes, sha256: tap.digest() }
}

/**
 * The server's error for a COPY ... FROM STDIN. postgres.js hands it to the query, whose promise resolved with
 * the stream already; when the error comes after the last row was sent (a foreign key or check that fails, on
 * a small table), it never reaches the stream either, and the copy would wait forever.
 */
function serverFailure(query: { reject: (e: unknown) => unknown }): Promise<never> {
  const failed = new Promise<never>((_, fail) => {
    const reject = query.reject
    query.reject = (e: unknown) => (fail(e), reject(e))
  })
  failed.catch(() => {}) // observed by the races above; unhandled when the copy succeeds
  return failed
}

/** `copy ... to stdout` only counted and hashed: what a table holds now, to compare with a manifest. */
export async function copyDigest(sql: Sql, copy: string): Promise<Copied> {
  const readable = await sql.unsafe(copy).readable()
  const tap = new DataTap()
  tap.resume() // nothing downstream: let the data flow through the hash and away
  await pipeline(readable, tap)
  ;(readable as unknown as { _read(size: number): void })._read(0)
  return { rows: tap.rows, bytes: tap.bytes, sha256: tap.digest() }
}
