/**
 * berth's public entry point: `createHost` and the types and errors a user needs. Everything else
 * is internal.
 */
export * from './api.js';
// The SDK's own class, re-exported for `instanceof` on a failed `readSkill`: importing it loads the
// MCP SDK client, which is why it is here and not in ./api.ts.
export { SkillVerificationError } from '@modelcontextprotocol/client/ext/skills';
