type LibPgQuery = typeof import('libpg-query');

let loading: Promise<LibPgQuery> | undefined;

/** Loads libpg-query (WASM) on first use only, so commands with nothing to analyse never pay for it. */
export function loadParser(): Promise<LibPgQuery> {
  loading ??= import('libpg-query').then(async (library) => {
    await library.loadModule();
    return library;
  });
  return loading;
}
