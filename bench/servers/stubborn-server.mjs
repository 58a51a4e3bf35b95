#!/usr/bin/env node
/**
 * A stubborn MCP stdio server for the close benchmark: the echo server (bench/servers/echo-server.mjs,
 * SDK v2) that ignores SIGTERM and the end of its stdin, as a hung or badly written server does.
 * Only SIGKILL ends it before its safety net: it exits by itself after STUBBORN_LIFETIME_MS
 * (default 30 s), so a benchmark that crashes cannot leave it behind for long. The close benchmark
 * counts it as a survivor if it is still alive when `close()` has returned, then SIGKILLs it.
 */
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.on('end', () => {}); // the SDK server transport does not exit on EOF; the timer below keeps it alive
setTimeout(() => process.exit(0), Number(process.env.STUBBORN_LIFETIME_MS ?? 30_000));
await import('./echo-server.mjs');
