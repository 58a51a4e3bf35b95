/**
 * A module imported on first use, once for the process. berth defers what only some runs need (the
 * MCP SDK client and Ajv, which a host serving a cached catalog never uses) so that loading berth
 * stays cheap; see docs/benchmarks.md, "Start-up with a cached catalog".
 */

/** A module loaded on first use: {@link LazyModule.load} imports it once; `loaded` has it after. */
export interface LazyModule<T> {
  /** Imports the module (the first time) and resolves to it. A failed import stays failed. */
  load(): Promise<T>;
  /** The module once an earlier `load()` resolved, else undefined: for code that runs only after one. */
  readonly loaded: T | undefined;
}

/**
 * Wraps `importer` (write it as `() => import('./module.js')`, so bundlers split the module off) as a
 * {@link LazyModule}.
 */
export function lazyModule<T>(importer: () => Promise<T>): LazyModule<T> {
  let pending: Promise<T> | undefined;
  let loaded: T | undefined;
  return {
    load: () => (pending ??= importer().then((module) => (loaded = module))),
    get loaded() {
      return loaded;
    },
  };
}
