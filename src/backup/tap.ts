import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'

/** COPY ... TO STDOUT arrives a row per chunk: gathered into pieces this big, gzip and the disk see few large writes. */
const PIECE = 256 * 1024

/**
 * Hashes and counts COPY text-format data as it streams by. Every row ends in a newline byte and
 * newlines inside values are escaped, so newline bytes are rows.
 */
export class DataTap extends Transform {
  rows = 0
  bytes = 0
  private readonly hash = createHash('sha256')
  private held: Buffer[] = []
  private heldBytes = 0

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++
    this.held.push(chunk)
    this.heldBytes += chunk.length
    if (this.heldBytes < PIECE) return done()
    this.onBytes?.(this.bytes)
    done(null, this.release())
  }

  override _flush(done: (e?: Error | null, data?: Buffer) => void): void {
    done(null, this.heldBytes ? this.release() : undefined)
  }

  private release(): Buffer {
    const piece = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held, this.heldBytes)
    this.held = []
    this.heldBytes = 0
    return piece
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}
