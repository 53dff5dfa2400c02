import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'

/**
 * Hashes and counts COPY text-format data as it streams by. Every row ends in a newline byte and
 * newlines inside values are escaped, so newline bytes are rows.
 */
export class DataTap extends Transform {
  rows = 0
  bytes = 0
  private readonly hash = createHash('sha256')

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++
    this.onBytes?.(this.bytes)
    done(null, chunk)
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}
