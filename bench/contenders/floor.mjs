/**
 * Contender: the floor. A minimal hand-written MCP client with no SDK: spawn the server, write
 * newline-delimited JSON-RPC to its stdin, split its stdout on newlines, match replies to requests
 * by id. No schema validation, no timeouts, no reconnects: the least a stdio MCP client can do.
 * Paired with bench/servers/floor-server.mjs (`--server floor`) there is no SDK on either side.
 *
 * close() does what a minimal client does: end stdin and send SIGTERM, without waiting.
 */
import { spawn } from 'node:child_process';

export const description = 'hand-written newline-delimited JSON-RPC client over a pipe (no SDK)';

export function versions() {
  return {};
}

class Connection {
  constructor(command, args) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdin.on('error', () => {}); // EPIPE after the server died: the pending calls fail below
    this.pending = new Map();
    this.nextId = 1;
    this.buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      this.buffer += chunk;
      let newline;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (line) this.receive(JSON.parse(line));
      }
    });
    this.child.on('exit', (code, signal) => {
      for (const { reject } of this.pending.values()) reject(new Error(`server exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  receive(message) {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method, params) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  async initialize() {
    await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bench-floor', version: '0.0.0' },
    });
    this.notify('notifications/initialized');
    await this.request('tools/list', {});
  }

  async call(tool, args) {
    const result = await this.request('tools/call', { name: tool, arguments: args });
    return result.content[0].text;
  }

  close() {
    this.child.stdin.end();
    this.child.kill('SIGTERM');
  }
}

export async function open({ command, args }) {
  const connection = new Connection(command, args);
  await connection.initialize();
  return {
    pid: connection.child.pid,
    echo: (value) => connection.call('echo', { value }),
    close: async () => connection.close(),
  };
}

export async function openFleet({ servers }) {
  const connections = new Map(
    servers.map(({ name, command, args }) => [name, new Connection(command, args)]),
  );
  try {
    await Promise.all([...connections.values()].map((c) => c.initialize()));
  } catch (error) {
    for (const c of connections.values()) c.close();
    throw error;
  }
  return {
    pids: () => [...connections.values()].map((c) => c.child.pid),
    call: (server, tool, args) => connections.get(server).call(tool, args),
    close: async () => {
      for (const c of connections.values()) c.close();
    },
  };
}
