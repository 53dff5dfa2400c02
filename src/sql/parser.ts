import { createRequire } from 'node:module'
import { setFlagsFromString } from 'node:v8'

type LibPgQuery = typeof import('libpg-query')

let loading: Promise<LibPgQuery> | undefined

/** Loads libpg-query (WASM) on first use only, so commands with nothing to analyse never pay for it. */
export function loadParser(): Promise<LibPgQuery> {
  loading ??= load()
  return loading
}

async function load(): Promise<LibPgQuery> {
  // The parser is 1.7 MB of WASM that a command uses for well under a second. V8 would spend about as much
  // CPU re-compiling its hot functions with TurboFan in the background as the whole lint takes (measured on
  // the 1,520-file corpus: ~0.9 s of CPU with tier-up, ~0.5 s without), so keep its baseline (Liftoff) code.
  // The flag is process-wide and only affects WASM compiled from here on; the parser is the only WASM Strata loads.
  setFlagsFromString('--liftoff-only')
  // Linting thousands of files makes V8 decide (allocation-site pretenuring) that objects made at some sites
  // live long, and allocate them straight in the old generation, where the short-lived ones pile up as garbage
  // until a full GC: applying 5,000 files peaked at ~160 MB instead of ~110 MB. Objects then start young and
  // are promoted only if they really survive. Also process-wide, and V8 reads the flag at every GC.
  setFlagsFromString('--no-allocation-site-pretenuring')
  // require, not import(): Node's ESM loader scans a CommonJS package for its exports first, and that cost
  // ~20 ms for this one (measured: 18-20 ms to load and instantiate it with require, 39-41 ms with import()).
  const library = createRequire(import.meta.url)('libpg-query') as LibPgQuery
  await library.loadModule()
  return library
}
