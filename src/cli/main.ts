#!/usr/bin/env node
/**
 * The `berth` executable (`dist/cli/main.js`, bundled into `dist/bin/berth.js`, the package's `bin`):
 * runs the CLI program on `process.argv`. Everything else is in `./program.ts`; this file only starts
 * it, so importing the program never runs it.
 *
 * On Node ≥ 22.1 it first turns on Node's module compile cache (`module.enableCompileCache()`, in the
 * OS temp directory; `NODE_DISABLE_COMPILE_CACHE=1` turns it off), so a run after the first reuses the
 * compiled code of the program it then loads: a CLI pays its start-up on every command.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import('./program.js');
await main();
