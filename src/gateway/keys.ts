/**
 * The names a gateway client addresses its conversations with: a module of its own so that the
 * public entry point can export them without loading the gateway (and the MCP server SDK).
 */

/** The `_meta` key a 2026-era client names its conversation with. */
export const CONVERSATION_META_KEY = 'berth/key';

/** The header a 2026-era client names the conversation to end with, on `DELETE`. */
export const END_CONVERSATION_HEADER = 'berth-key';
