/**
 * A full garbage collection now and then while applying a long history.
 *
 * While the server runs a file, that file's query objects (its SQL text, postgres.js's query, promise and
 * result objects) are alive, and V8 promotes what survives a young-generation collection to the old
 * generation. There it stays until the next full collection, which V8 starts only when the old generation
 * reaches a limit set from the heap at the previous one. Applying 20,000 generated files grew the process from
 * ~140 MB after lint to ~200 MB, all of it garbage (a forced collection at the end left the heap where lint
 * left it). Collecting every 1,000 files (a few milliseconds each) keeps it there.
 *
 * Node offers no GC call without --expose-gc; setting the flag at run time exposes `gc` to new contexts.
 */
import { createRequire } from 'node:module'

let collect: (() => void) | null | undefined

/** Returns a function to call once per unit of work; every `every` calls it runs a full collection. */
export function collectEvery(every: number): () => void {
  let count = 0
  return () => {
    if (++count % every !== 0) return
    if (collect === undefined) {
      try {
        // Loaded here, on the 1,000th file, not at start: most runs never get here and node:v8 costs a few ms to load.
        const require = createRequire(import.meta.url)
        ;(require('node:v8') as typeof import('node:v8')).setFlagsFromString('--expose-gc')
        collect = (require('node:vm') as typeof import('node:vm')).runInNewContext('gc') as () => void
      } catch {
        collect = null // then V8 collects when it decides to
      }
    }
    collect?.()
  }
}
