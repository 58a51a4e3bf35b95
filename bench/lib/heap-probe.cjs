/**
 * Preloaded into a Node gateway by the gateway part (`NODE_OPTIONS=--require …/heap-probe.cjs`,
 * with `BENCH_HEAP_FILE` set): on SIGUSR2 it runs a full GC twice and writes
 * `{ seq, memory: process.memoryUsage() }` to BENCH_HEAP_FILE (through a rename, so a reader never
 * sees half a file); `seq` counts the signals. That is how the gateway's heap, and its RSS after a
 * GC, are read from outside without changing the gateway. It removes its variables from the
 * environment at once, so the gateway's own children (upstream servers) do not load it too.
 * It keeps nothing alive: a signal listener does not hold the event loop open.
 */
'use strict';

const file = process.env.BENCH_HEAP_FILE;
delete process.env.BENCH_HEAP_FILE;
if (process.env.NODE_OPTIONS?.includes('heap-probe.cjs')) delete process.env.NODE_OPTIONS;

if (file) {
  const { renameSync, writeFileSync } = require('node:fs');
  const { setFlagsFromString } = require('node:v8');
  const { runInNewContext } = require('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  let seq = 0;
  process.on('SIGUSR2', () => {
    seq += 1;
    gc();
    // Finalization callbacks run as tasks after the GC that found their targets dead.
    setTimeout(() => {
      gc();
      gc();
      write();
    }, 100).unref();
  });
  const write = () => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ seq, memory: process.memoryUsage() }));
    renameSync(tmp, file);
  };
}
