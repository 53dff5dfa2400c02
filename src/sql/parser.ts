import { createRequire } from 'node:module'

type LibPgQuery = typeof import('libpg-query')

let loading: Promise<LibPgQuery> | undefined
let prepare: (() => void) | undefined

/** Run `hook` just before the parser loads (the first time only): the CLI sets process-wide V8 flags there. */
export function beforeParserLoads(hook: () => void): void {
  prepare = hook
}

/** Loads libpg-query (WASM) on first use only, so commands with nothing to analyse never pay for it. */
export function loadParser(): Promise<LibPgQuery> {
  loading ??= load()
  return loading
}

async function load(): Promise<LibPgQuery> {
  prepare?.() // the CLI tunes V8 for the parser here (src/cli/v8-flags.ts); the library itself changes nothing global
  // require, not import(): Node's ESM loader scans a CommonJS package for its exports first, and that cost
  // ~20 ms for this one (measured: 18-20 ms to load and instantiate it with require, 39-41 ms with import()).
  const library = createRequire(import.meta.url)('libpg-query') as LibPgQuery
  await library.loadModule()
  return library
}
