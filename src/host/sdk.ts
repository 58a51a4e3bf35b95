/**
 * The MCP SDK client as the host's own code uses its values (URI templates, the client-credentials
 * provider): loaded on first use, once, so that a host that never needs them does not load the SDK.
 */
import { lazyModule } from '../util/lazy-module.js';

/** The `@modelcontextprotocol/client` module, loaded on first use. */
export const mcpSdk = lazyModule(() => import('@modelcontextprotocol/client'));
