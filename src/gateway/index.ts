/**
 * The gateway's public surface, `berth/gateway`: serve a host as one MCP endpoint (`serve`), or mount
 * its fetch-style handler in your own server (`createGatewayHandler`), with a session per client where
 * state lives. (`berth` itself exports `serve` too, loading this on its first call.)
 */
export { serve, createGatewayHandler } from './serve.js';
export type { GatewayOptions, GatewayFetchHandler, RunningGateway } from './serve.js';
export { Relay, relayHandlers } from './relay.js';
export { CONVERSATION_META_KEY, END_CONVERSATION_HEADER } from './keys.js';
export type { StatusOptions } from './status/index.js';
export type { GatewayConfig, GatewaySpec, PrefixMode } from '../config/gateway.js';
