/**
 * Test helpers for the gateway: a host on real fixture servers served by `serve()` on a free loopback
 * port (with the relay wired as `berth serve` wires it), and real SDK clients of both eras.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  Relay,
  relayHandlers,
  serve,
  type GatewayConfig,
  type HostOptions,
  type RunningGateway,
} from '../../src/index.js';
import { hostFixture, type HostFixture } from '../helpers.js';

/** A host fixture served by a gateway. */
export interface GatewayFixture extends AsyncDisposable {
  fx: HostFixture;
  gateway: RunningGateway;
  url: URL;
}

/** Serves fixture servers through a gateway on 127.0.0.1:0; disposing closes gateway then host (and checks pids). */
export async function gatewayFixture(
  servers: Record<string, Record<string, unknown>>,
  gateway: GatewayConfig = {},
  options: HostOptions = {},
): Promise<GatewayFixture> {
  const relay = new Relay(30_000);
  const fx = await hostFixture(servers, { ...relayHandlers(relay), ...options });
  let running: RunningGateway;
  try {
    running = await serve(fx.host, { gateway: { listen: '127.0.0.1:0', ...gateway }, relay });
  } catch (error) {
    await fx[Symbol.asyncDispose]();
    throw error;
  }
  return {
    fx,
    gateway: running,
    url: running.url,
    [Symbol.asyncDispose]: async () => {
      await running.close();
      await fx[Symbol.asyncDispose]();
    },
  };
}

/** What a test client offers: sampling and elicitation answers. */
export interface ClientOffer {
  sampling?: (params: unknown) => unknown;
  elicitation?: (params: unknown) => unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** An SDK v2 client of the given era, connected. */
export async function v2Client(url: URL, era: 'modern' | 'legacy', offer: ClientOffer = {}): Promise<Client> {
  const client = new Client(
    { name: 'test-v2', version: '1.0.0' },
    {
      capabilities: {
        ...(offer.sampling && { sampling: {} }),
        ...(offer.elicitation && { elicitation: { form: {} } }),
      },
      versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' },
    },
  );
  if (offer.sampling)
    client.setRequestHandler('sampling/createMessage', (r) => offer.sampling!(r.params) as never);
  if (offer.elicitation)
    client.setRequestHandler('elicitation/create', (r) => offer.elicitation!(r.params) as never);
  const headers = { ...offer.headers, ...(offer.token && { authorization: `Bearer ${offer.token}` }) };
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  return client;
}

/** An SDK v1 client (2025 era: what most tools embed), connected. */
export async function v1Client(url: URL, offer: ClientOffer = {}): Promise<V1Client> {
  const client = new V1Client(
    { name: 'test-v1', version: '1.0.0' },
    {
      capabilities: {
        ...(offer.sampling && { sampling: {} }),
        ...(offer.elicitation && { elicitation: {} }),
      },
    },
  );
  if (offer.sampling)
    client.setRequestHandler(CreateMessageRequestSchema, (r) => offer.sampling!(r.params) as never);
  if (offer.elicitation)
    client.setRequestHandler(ElicitRequestSchema, (r) => offer.elicitation!(r.params) as never);
  const headers = { ...offer.headers, ...(offer.token && { authorization: `Bearer ${offer.token}` }) };
  await client.connect(new V1Transport(url, { requestInit: { headers } }));
  return client;
}

/** The text of a tool result's first content block. */
export function resultText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content[0]?.text ?? '';
}
