/**
 * Gateway contender: no gateway. The SDK v2 client (`Client` + `StdioClientTransport`) talks to the
 * upstream server over stdio directly: the floor of going through any gateway. Its "clients" in the
 * throughput phase are that many concurrent callers on the one stdio session (100 separate stdio
 * sessions would be 100 server processes, which is not what an application without a gateway runs).
 * Only the latency and throughput phases apply.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { clientSession } from '../lib/gateway-contender.mjs';
import { packageVersion } from '../lib/package-version.mjs';

export const description =
  'no gateway: @modelcontextprotocol/client Client + StdioClientTransport to the server';
export const transport = 'stdio';
export const sessionModel = 'no gateway: one stdio session, shared by the concurrent callers';
export const direct = true;
export const phases = ['calls'];

export function versions() {
  const pkg = '@modelcontextprotocol/client';
  return { [pkg]: packageVersion(pkg, import.meta.resolve(pkg)) };
}

/** Spawns the server and connects one client; every connect() is a handle on that one session. */
export async function open({ server }) {
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    stderr: 'inherit',
  });
  const client = new Client({ name: 'bench-direct', version: '0.0.0' });
  await client.connect(transport);
  const session = clientSession(client, async () => {});
  return {
    pid: transport.pid,
    connect: async () => session,
    close: () => client.close(),
  };
}
