/**
 * Process-wide V8 settings the CLI makes for the SQL parser, just before it loads (src/sql/parser.ts calls
 * back). The library sets none of them: a program that imports pgstrata keeps its own V8 as it is.
 */
import { createRequire } from 'node:module'

export function tuneForParser(): void {
  const { setFlagsFromString } = createRequire(import.meta.url)('node:v8') as typeof import('node:v8') // loaded only when the parser is
  // The parser is 1.7 MB of WASM that a command uses for well under a second. V8 would spend about as much
  // CPU re-compiling its hot functions with TurboFan in the background as the whole lint takes (measured on
  // the 1,520-file corpus: ~0.9 s of CPU with tier-up, ~0.5 s without), so keep its baseline (Liftoff) code.
  // The flag only affects WASM compiled from here on; the parser is the only WASM Strata loads.
  setFlagsFromString('--liftoff-only')
  // Linting thousands of files makes V8 decide (allocation-site pretenuring) that objects made at some sites
  // live long, and allocate them straight in the old generation, where the short-lived ones pile up as garbage
  // until a full GC: applying 5,000 files peaked at ~160 MB instead of ~110 MB. Objects then start young and
  // are promoted only if they really survive. V8 reads the flag at every GC.
  setFlagsFromString('--no-allocation-site-pretenuring')
}
