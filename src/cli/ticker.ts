/**
 * While a file runs longer than a second, a terminal shows which one and for how long
 * (`applying 012_backfill.sql … 14s`), on one line of stderr that is rewritten in place and cleared when the
 * file is done. Nothing is written when stderr is not a terminal: logs keep only the `applied` lines.
 */
const CLEAR = '\r\x1b[2K'

export interface Ticker {
  start(label: string): void
  /** Clear the line before anything else is printed. */
  stop(): void
}

export function ticker(enabled = !!process.stderr.isTTY): Ticker {
  let timer: NodeJS.Timeout | undefined
  let shown = false
  const stop = () => {
    if (timer) clearInterval(timer)
    timer = undefined
    if (shown) process.stderr.write(CLEAR)
    shown = false
  }
  return {
    start(label) {
      stop()
      if (!enabled) return
      const t0 = Date.now()
      timer = setInterval(() => {
        const seconds = Math.floor((Date.now() - t0) / 1000)
        process.stderr.write(`${CLEAR}${label} … ${seconds}s`)
        shown = true
      }, 1000)
      timer.unref()
    },
    stop,
  }
}
