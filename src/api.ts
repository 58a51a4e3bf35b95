/**
 * berth's public API, all of it but one class: what `src/index.ts` (the package entry, `berth`)
 * exports. The entry adds the SDK's `SkillVerificationError`, whose module loads the MCP SDK client;
 * the CLI imports from here, so a command that opens no session (a warm `berth tools`) never loads
 * the SDK.
 */
export { createHost } from './host/host.js';
export type {
  Host,
  HostOptions,
  CallOptions,
  CompleteOptions,
  ClientRequestContext,
  OAuthOptions,
  ServerStatus,
  AppliedConfig,
  ReloadOptions,
} from './host/host.js';
export type { HostEvent, HostEventHandler, ReloadSummary } from './host/events.js';
export type { Toolset, ToolsetOptions } from './host/toolset.js';
export type { SessionInfo } from './scope/runtime.js';
export type { ServerState } from './state.js';
export type { TelemetryOptions } from './telemetry/types.js';
export type {
  CatalogTool,
  CatalogPrompt,
  CatalogResource,
  CatalogResourceTemplate,
} from './catalog/catalog.js';
export type { ConfigInput } from './config/load.js';
export type {
  ServerSpec,
  StdioServerSpec,
  RemoteServerSpec,
  SessionScope,
  SessionPolicy,
} from './config/types.js';
export {
  BerthError,
  ConfigError,
  ServerError,
  ServerUnavailableError,
  SessionClosedError,
  HostClosedError,
  ToolsetClosedError,
  CallTimeoutError,
  CallAbortedError,
  UnknownNameError,
  InvalidArgumentsError,
  InvalidOptionError,
  KeyRequiredError,
  PolicyDeniedError,
  InterceptorError,
  NotSupportedError,
  RequestFailedError,
  AmbiguousResourceError,
} from './errors.js';
export type {
  BerthErrorCode,
  ConfigIssue,
  ServerPhase,
  ServerFailureDetails,
  ArgumentProblem,
} from './errors.js';
export type { Middleware, RequestContext, InterceptedMethod } from './host/middleware.js';
export type { Skill, SkillFile } from '@modelcontextprotocol/client/ext/skills';
export { injectHeaders, injectMeta } from './middleware/inject.js';
export { toolPolicy, type ToolPolicyOptions, type PolicyDecision } from './middleware/policy.js';
export { logRequests, redact, type LogRequestsOptions, type RequestLogEntry } from './middleware/log.js';
export {
  FileTokenStore,
  MemoryTokenStore,
  defaultAuthFile,
  type TokenStore,
  type AuthRecord,
} from './auth/store.js';
export { storedOAuthProvider, type StoredOAuthOptions } from './auth/oauth.js';
// The gateway: `serve` loads it (and the MCP server SDK) on first use; `berth/gateway` exports it whole,
// with `createGatewayHandler`, the fetch handler to mount in your own server.
export { serve } from './gateway/lazy.js';
export { Relay, relayHandlers } from './gateway/relay.js';
export { CONVERSATION_META_KEY, END_CONVERSATION_HEADER } from './gateway/keys.js';
export type {
  GatewayOptions,
  GatewayFetchHandler,
  RunningGateway,
  GatewayConfig,
  GatewaySpec,
  PrefixMode,
  StatusOptions,
} from './gateway/index.js';
