#!/usr/bin/env node
/**
 * The `berth` executable (package `bin`): runs the CLI program on `process.argv`. Everything else is in
 * `./program.ts`; this file only starts it, so importing the program never runs it.
 */
import { main } from './program.js';

await main();
