#!/usr/bin/env node
/**
 * An `npx`-style wrapper for the close benchmark: it spawns the real server as its child, sharing
 * its stdin/stdout/stderr (`stdio: 'inherit'`), and waits for it. The real server here is the
 * stubborn one (bench/servers/stubborn-server.mjs: ignores SIGTERM and stdin EOF), so a client that
 * only signals its direct child (this wrapper, which dies on SIGTERM like any Node process without
 * a handler and does not forward the signal) leaves the grandchild running. Only signalling the
 * process group (or SIGKILLing the grandchild) ends it before its own 30 s safety net.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = spawn(
  process.execPath,
  [fileURLToPath(new URL('./stubborn-server.mjs', import.meta.url)), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
