/**
 * The gateway part's contender contract and what every gateway contender shares: starting a
 * gateway process and knowing when it listens, reading its heap, stopping it, and connecting SDK v2
 * clients to it.
 *
 * A gateway contender is a file in bench/gateways/ (its name is the contender's name) exporting:
 *   description            one line for the results file
 *   transport              how clients reach it: 'streamable-http', 'sse' (legacy HTTP+SSE), or
 *                          'stdio' (the direct contender: no gateway)
 *   sessionModel           one line: what upstream sessions/processes a client session gets
 *   versions()             { package: version } of what is measured
 *   unavailable()          optional: a reason why it cannot run here (then it is skipped, not failed)
 *   phases                 optional: the phases it takes part in (default all; see gateway.mjs)
 *   launch({ server, stateful, dir })
 *                          what to start: { command, args, env?, ready } for `server`
 *                          ({ command, args }: the upstream stdio server), in its own directory `dir`
 *                          (config files, state); `stateful` asks for the gateway's per-client mode
 *                          where it has a choice (berth: `"session": "keyed"`). `ready` is
 *                          { stderr: RegExp } (the first match's group 1 is the URL) or
 *                          { path: '/mcp' } (the URL is the first port the process listens on, from /proc).
 * The direct contender instead exports `direct = true` and `open({ server })`, resolving to
 * { pid, connect(), close() } (see gateways/direct.mjs).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { listeningPorts, stopTree } from './process-tree.mjs';

const HEAP_PROBE = fileURLToPath(new URL('./heap-probe.cjs', import.meta.url));
const TAIL_BYTES = 16 * 1024;
const READY_TIMEOUT_MS = 30_000;

/**
 * Starts the gateway `spec` (from a contender's `launch()`) as the leader of its own process group,
 * with the heap probe preloaded and `BENCH_TAG=<tag>` in its environment; resolves once it listens,
 * to `{ pid, url, output(), heap(), stop() }`. A gateway that exits or stays silent for 30 s
 * rejects, with the tail of its output, after everything it started has been killed.
 */
export async function startGateway(spec, { tag, dir }) {
  const heapFile = join(dir, 'heap.json');
  const child = spawn(spec.command, spec.args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...spec.env,
      BENCH_TAG: tag,
      BENCH_HEAP_FILE: heapFile,
      NODE_OPTIONS: `--require ${HEAP_PROBE}`,
    },
  });
  let tail = '';
  let stderr = '';
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-TAIL_BYTES);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    keep(chunk);
    if (stderr.length < TAIL_BYTES) stderr += chunk;
  });
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = signal ?? code;
  });
  const spawned = await new Promise((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', (error) => {
      tail += `\n${error.message}`;
      resolve(false);
    });
  });
  const stop = async () => {
    const result = await stopTree(child.pid, { tag });
    child.stdout.destroy();
    child.stderr.destroy();
    return result;
  };
  if (!spawned) throw new Error(`could not start ${spec.command}: ${tail.trim()}`);

  let url;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!url) {
    if (spec.ready.stderr) {
      url = spec.ready.stderr.exec(stderr)?.[1];
    } else {
      const [port] = listeningPorts(child.pid);
      if (port) url = `http://127.0.0.1:${port}${spec.ready.path}`;
    }
    if (url) break;
    if (exited !== null || Date.now() > deadline) {
      await stop();
      const why = exited !== null ? `exited (${exited})` : `did not listen within ${READY_TIMEOUT_MS} ms`;
      throw new Error(`gateway ${why}; its output ends with:\n${tail.trim().slice(-2000)}`);
    }
    await sleep(20);
  }

  let seq = 0;
  return {
    pid: child.pid,
    url,
    output: () => tail,
    /** The gateway's process.memoryUsage() after a full GC (heap probe), or null if it did not answer in 5 s. */
    async heap() {
      seq += 1;
      try {
        process.kill(child.pid, 'SIGUSR2');
      } catch {
        return null;
      }
      for (const end = Date.now() + 5000; Date.now() < end; await sleep(20)) {
        if (!existsSync(heapFile)) continue;
        try {
          const report = JSON.parse(readFileSync(heapFile, 'utf8'));
          if (report.seq === seq) return report.memory;
        } catch {
          // being replaced; read again
        }
      }
      return null;
    },
    stop,
  };
}

/** Quotes `words` for a POSIX shell (for gateways that take the server as one command string). */
export function shellCommand(words) {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/**
 * A new SDK v2 client session on the gateway at `url`, over Streamable HTTP or legacy HTTP+SSE
 * (`transport`). The client is the SDK's default: the 2025 era (initialize, Mcp-Session-Id); after
 * initialize it opens the standalone GET stream as the SDK does. Resolves to
 * `{ call(name, args) → text, listTools(), close() }`; close() ends the session the way a
 * well-behaved client does (DELETE on Streamable HTTP), then closes the client.
 */
export async function connectClient(url, transport) {
  const client = new Client({ name: 'bench-gateway-client', version: '0.0.0' });
  const wire =
    transport === 'sse'
      ? new SSEClientTransport(new URL(url))
      : new StreamableHTTPClientTransport(new URL(url));
  await client.connect(wire);
  return clientSession(client, async () => {
    if (typeof wire.terminateSession === 'function' && wire.sessionId)
      await wire.terminateSession().catch(() => {});
    await client.close();
  });
}

/** `{ call, listTools, close }` over a connected SDK client. */
export function clientSession(client, close) {
  return {
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      if (result.isError) throw new Error(`${name} returned an error: ${JSON.stringify(result.content)}`);
      const block = result.content?.find?.((b) => b.type === 'text');
      if (!block) throw new Error(`${name}: no text block in ${JSON.stringify(result).slice(0, 200)}`);
      return block.text;
    },
    listTools: () => client.listTools(),
    close,
  };
}

/**
 * A TCP port free on every interface right now (bound on `::` with port 0, then released), for a
 * gateway that refuses `--port 0`. Another process could take it before the gateway binds it; the
 * gateway would then fail to start, and the measurement with it, visibly.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '::', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
