/**
 * Progress of a backup or restore: one line per table when it is done (rows, MB, MB/s), and on a terminal a
 * line on stderr, rewritten in place, while a large table streams.
 */
import { c, type Out } from './output.js'

const CLEAR = '\r\x1b[2K'

export interface TableProgress {
  /** A table is streaming: `bytes` so far, in `ms`. */
  moving(verb: string, table: string, bytes: number, ms: number): void
  /** A table is done. */
  done(verb: string, table: string, rows: number, bytes: number, ms: number): void
}

export function tableProgress(out: Out, live = !!process.stderr.isTTY && !out.json): TableProgress {
  let shown = false
  const clear = () => {
    if (shown) process.stderr.write(CLEAR)
    shown = false
  }
  return {
    moving(verb, table, bytes, ms) {
      if (!live) return
      process.stderr.write(`${CLEAR}${verb} ${table}  ${mb(bytes)}  ${rate(bytes, ms)}`)
      shown = true
    },
    done(verb, table, rows, bytes, ms) {
      clear()
      out.line(`${c.green(verb)}  ${table}  ${c.dim(`${rows.toLocaleString('en')} row(s), ${mb(bytes)}, ${rate(bytes, ms)}`)}`)
    },
  }
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`
const rate = (bytes: number, ms: number) => `${ms > 0 ? (bytes / 1e6 / (ms / 1000)).toFixed(1) : '-'} MB/s`
