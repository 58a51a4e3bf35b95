// The MCP conformance suite's client under test, built on berth.
//
// The suite (`@modelcontextprotocol/conformance`) starts a test server for one scenario, then runs
// `node conformance/client.mjs <server-url>` with MCP_CONFORMANCE_SCENARIO (and, for some scenarios,
// MCP_CONFORMANCE_CONTEXT) in the environment, and judges what reached its server. This program does
// what the scenario asks of a client, only through berth's public API: one host, one remote server
// (`conformance`) at the given URL, default settings. For the auth scenarios it does what an
// application using berth does: it gives the host an `authProvider` for the server (the SDK's
// client-credentials, private-key JWT and cross-app access providers; for the authorization code
// flow, a small in-memory `OAuthClientProvider`, with an SDK DPoP session for the DPoP scenarios; for
// workload identity, a small JWT-bearer provider), and when the server is left `unauthorized` it
// finishes the flow with `host.finishAuth()`. The same client serves both protocol eras: berth
// negotiates, so it never reads the era the suite runs the scenario at. It does no OAuth of its own beyond what a provider must
// (following the authorization URL, as a browser would, to get the callback), and never works around
// berth: where berth stops, the scenario fails, and docs/conformance.md says what berth would need.
//
// Exit code 0 when the scenario's client side completed, 1 otherwise. The suite judges by its own
// checks and by this exit code (a client error fails a scenario unless the scenario expects the
// client to give up, as auth/resource-mismatch, auth/scope-retry-limit, the issuer rejections and the
// skills verification scenarios do); stderr is kept in the results for diagnosis.
import { randomBytes } from 'node:crypto';
import {
  ClientCredentialsProvider,
  CrossAppAccessProvider,
  DpopSession,
  PrivateKeyJwtProvider,
  requestJwtAuthorizationGrant,
} from '@modelcontextprotocol/client';
import { createHost, RequestFailedError } from '../dist/index.js';

const SERVER = 'conformance';
const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
const url = process.argv.at(-1);

/** stderr lines, with the time since start, kept by the suite in the scenario's results. */
const started = performance.now();
function log(...parts) {
  const ms = String(Math.round(performance.now() - started)).padStart(5);
  console.error(`[${ms} ms]`, ...parts);
}

/** berth's defaults (clientInfo included), plus elicitation answered like a user accepting the form's defaults. */
const hostOptions = {
  onEvent: (event) => {
    if (event.type === 'server:state') {
      log(`server:state ${event.previous} -> ${event.state}${event.error ? `: ${event.error.message}` : ''}`);
    } else if (event.type !== 'server:log') {
      log(event.type);
    }
  },
  // Accept with no content: berth applies the requested schema's defaults to accepted form content
  // (SEP-1034), which is what the elicitation-defaults scenario checks.
  elicitation: async (params) => {
    log(`elicitation/create: ${params.message}`);
    return { action: 'accept', content: {} };
  },
};

/** The server's row of `host.status()`. */
function serverStatus(host) {
  return host.status().find((s) => s.name === SERVER);
}

/** Logs the server's state and tools; fails unless it is ready. */
function assertReady(host) {
  const status = serverStatus(host);
  const tools = host.tools().map((t) => t.name);
  log(`status: ${status?.state}; tools: ${tools.join(', ') || '(none)'}`);
  if (status?.state !== 'ready') {
    throw new Error(`the server is ${status?.state}: ${status?.lastError?.message ?? 'no error recorded'}`);
  }
}

/**
 * Opens a host on the scenario's server (with `extraOptions`, e.g. an `authProvider`), runs `prepare`
 * (e.g. finishing an authorization), and fails unless the server is then ready.
 */
async function openHost(extraOptions = {}, prepare = async () => {}) {
  const host = await createHost(
    { mcpServers: { [SERVER]: { type: 'http', url } } },
    { ...hostOptions, ...extraOptions },
  );
  try {
    await prepare(host);
    assertReady(host);
  } catch (error) {
    await host.close();
    throw error;
  }
  return host;
}

/** Calls one tool by its server-side name; fails on an error result. */
async function callTool(host, tool, args = {}) {
  const name = host.tools().find((t) => t.server === SERVER && t.tool === tool)?.name;
  if (!name) throw new Error(`the server did not list the tool ${tool}`);
  const result = await host.callTool(name, args, { timeoutMs: 20_000 });
  log(`${tool} ->`, JSON.stringify(result));
  if (result.isError) throw new Error(`${tool} returned an error result`);
  return result;
}

/** Connects (initialize + listing), calls one tool by its server-side name, closes. */
async function callOneTool(tool, args = {}) {
  const host = await openHost();
  try {
    await callTool(host, tool, args);
  } finally {
    await host.close();
  }
}

const handlers = {
  // Handshake (and listing) only.
  initialize: async () => {
    const host = await openHost();
    await host.close();
  },
  tools_call: () => callOneTool('add_numbers', { a: 5, b: 3 }),
  'elicitation-sep1034-client-defaults': () => callOneTool('test_client_elicitation_defaults'),
  // The server closes the tool call's SSE stream after a priming event with `retry: 500`; the
  // result arrives once the client reconnects (GET, with Last-Event-ID) after that delay.
  'sse-retry': () => callOneTool('test_reconnection'),
  // SEP-2575: every request carries MCP-Protocol-Version and the per-request _meta; the server
  // first refuses with -32022 (unsupported version), and the client must retry with one it lists.
  'request-metadata': async () => {
    const host = await openHost();
    await host.close();
  },
  // SEP-2322 (multi-round-trip requests): each tool answers `input_required` with an elicitation;
  // the client fulfils it (berth's elicitation handler) and retries with the inputs, echoing
  // `requestState` exactly when there is one, on a new request id. An unrelated call in between
  // must carry nothing of another call's round. A result without `resultType` is complete.
  'sep-2322-client-request-state': async () => {
    const host = await openHost();
    try {
      await callTool(host, 'test_mrtr_echo_state');
      await callTool(host, 'test_mrtr_no_state');
      await callTool(host, 'test_mrtr_unrelated');
      // This result has no `resultType`. A 2026-07-28 server MUST send one (the schema's
      // `Result.resultType`: absent means "complete" only from servers of earlier revisions), so
      // the SDK refuses the result as invalid, without retrying, which is what the scenario checks.
      // The call's failure is then the expected outcome, not the client's.
      try {
        await callTool(host, 'test_mrtr_no_result_type');
      } catch (error) {
        if (!(error instanceof RequestFailedError && /resultType/.test(error.message))) throw error;
        log(`test_mrtr_no_result_type refused as invalid: ${error.message}`);
      }
    } finally {
      await host.close();
    }
  },
  // SEP-2243: each POST names its method (Mcp-Method) and, for calls, reads and gets, its target
  // (Mcp-Name). One of each kind the server offers.
  'http-standard-headers': async () => {
    const host = await openHost();
    try {
      const tool = host.tools().find((t) => t.server === SERVER);
      if (tool) await callTool(host, tool.tool);
      const resource = host.resources().find((r) => r.server === SERVER);
      if (resource) log('read', resource.uri, '->', JSON.stringify(await host.readResource(resource.uri)));
      const prompt = host.prompts().find((p) => p.server === SERVER);
      if (prompt) log('get', prompt.name, '->', JSON.stringify(await host.getPrompt(prompt.name, {})));
    } finally {
      await host.close();
    }
  },
  // SEP-2243: parameters a tool marks with `x-mcp-header` are mirrored into Mcp-Param-* headers.
  // The suite names the calls to make (values with encoding edge cases) in the context.
  'http-custom-headers': async () => {
    const { toolCalls = [] } = context();
    const host = await openHost();
    try {
      for (const call of toolCalls) await callTool(host, call.name, call.arguments);
    } finally {
      await host.close();
    }
  },
  // SEP-2243: tools whose `x-mcp-header` annotations are invalid are left out of the tool list;
  // the valid one stays usable. Calls every tool the catalog kept.
  'http-invalid-tool-headers': async () => {
    const host = await openHost();
    try {
      for (const tool of host.tools().filter((t) => t.server === SERVER)) {
        await callTool(host, tool.tool, { region: 'us-west1' });
      }
    } finally {
      await host.close();
    }
  },
  // SEP-2106: a tool schema with a network `$ref` is listed, and the URI is never fetched.
  'json-schema-ref-no-deref': async () => {
    const host = await openHost();
    await host.close();
  },
  // SEP-1613 / SEP-2106: the tool's 2020-12 input schema reaches the application unchanged; the
  // client sends it back as it got it (json_schema_echo) for the server to compare.
  'json-schema-2020-12-preservation': async () => {
    const host = await openHost();
    try {
      const focal = host.tools().find((t) => t.server === SERVER && t.tool === 'json_schema_2020_12_tool');
      if (!focal) throw new Error('the server did not list json_schema_2020_12_tool');
      await callTool(host, 'json_schema_echo', { schema: focal.inputSchema });
    } finally {
      await host.close();
    }
  },
};

// Skills extension (SEP-2640). The host lists the server's skills (berth reads no skill file on
// connect or listing), then, as a host loading a skill does, reads its SKILL.md and then each file
// its entry lists, each verified against the entry (size, digest, frontmatter); a file that fails
// stops the loading, so nothing after it is read. The verify scenarios serve a tampered SKILL.md.
async function loadSkills() {
  const host = await openHost();
  try {
    const skills = await host.listSkills(SERVER);
    log(`skills: ${skills.map((s) => s.uri).join(', ') || '(none)'}`);
    if (scenario === 'sep-2640-client-no-prefetch') return; // listed, not loaded: nothing is read
    for (const skill of skills) {
      const manifest = await host.readSkill(SERVER, skill);
      log(`loaded ${manifest.uri} (verified: ${manifest.verified})`);
      for (const file of Array.isArray(skill.resources) ? skill.resources : []) {
        if (file.uri === skill.uri) continue;
        const read = await host.readSkill(SERVER, skill, file.uri);
        log(`read ${read.uri} (verified: ${read.verified})`);
      }
    }
  } finally {
    await host.close();
  }
}
for (const name of ['no-prefetch', 'verify-digest', 'verify-size', 'verify-frontmatter']) {
  handlers[`sep-2640-client-${name}`] = loadSkills;
}

// ---------------------------------------------------------------------------------------------
// Auth scenarios. What the suite's reference client (examples/clients/typescript/everything-client.ts
// of the conformance repository) does per scenario, through berth: the credentials come in as
// the host's `authProvider` for the server, and berth's transports run the SDK's OAuth with it.

/** RFC 7523's grant type: a JWT as the authorization grant. */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The redirect URI the test authorization server sends its callback to (nothing listens there). */
const REDIRECT_URL = 'http://localhost:3000/callback';
/** The URL client id (CIMD, SEP-991) the reference client offers; used where the AS supports it. */
const CIMD_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
/**
 * How many times this application sends the user agent to a server's authorization endpoint before
 * giving up. Clients SHOULD bound re-authorization (`auth/scope-retry-limit` allows at most 3
 * authorization requests). The bound is the application's: berth never starts an authorization
 * flow again by itself, but each `finishAuth` reconnects, and a server that refuses the new token
 * (403 `insufficient_scope`) makes that connect's transport begin another one.
 */
const MAX_AUTHORIZATIONS = 3;

/** The scenario's context (`MCP_CONFORMANCE_CONTEXT`), checked to be this scenario's. */
function context() {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) throw new Error('MCP_CONFORMANCE_CONTEXT is not set');
  const ctx = JSON.parse(raw);
  if (ctx.name !== scenario) throw new Error(`MCP_CONFORMANCE_CONTEXT is for ${ctx.name}, not ${scenario}`);
  return ctx;
}

/** A host option giving `provider` to the conformance server (and nothing to any other). */
const authFor = (provider) => ({ authProvider: (server) => (server === SERVER ? provider : undefined) });

/**
 * An in-memory `OAuthClientProvider` for the authorization code flow: a client redirecting to
 * REDIRECT_URL, registered dynamically (or by CIMD, or pre-registered: `clientInformation`), holding
 * its tokens, PKCE verifier and discovery state in memory.
 *
 * `redirectToAuthorization(url)` plays the user agent: it GETs the authorization URL without
 * following the redirect (the suite's test authorization server approves at once and answers 302 to
 * the redirect URI with `code` and `state`), checks that the redirect is to REDIRECT_URL with the
 * `state` this client sent, and keeps the callback's query for the application to pass to
 * `host.finishAuth()`. After MAX_AUTHORIZATIONS requests it refuses to start another.
 */
class InMemoryOAuthClient {
  #clientInformation;
  #tokens;
  #codeVerifier;
  #discoveryState;
  #state;
  #callback;
  /** Authorization requests made (the user agent sent to the authorization endpoint). */
  authorizations = 0;

  constructor({ clientMetadataUrl, clientInformation, dpop } = {}) {
    this.clientMetadataUrl = clientMetadataUrl;
    this.#clientInformation = clientInformation;
    // DPoP (RFC 9449, SEP-1932): a provider that has a DPoP session makes the SDK sign a proof into
    // the token request and present the DPoP-bound token with the DPoP scheme and a fresh proof on
    // every request, answering nonce challenges from either server. One session (one key) for the
    // life of this client.
    if (dpop) {
      const session = DpopSession.create();
      this.dpop = () => session;
    }
  }

  get redirectUrl() {
    return REDIRECT_URL;
  }

  get clientMetadata() {
    // refresh_token: the SDK then asks for offline_access where the AS offers it (SEP-2207).
    return {
      client_name: 'berth conformance client',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
    };
  }

  state() {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  clientInformation() {
    return this.#clientInformation;
  }

  saveClientInformation(info) {
    this.#clientInformation = info;
  }

  tokens() {
    return this.#tokens;
  }

  saveTokens(tokens) {
    log(
      `tokens saved (scope: ${tokens.scope ?? 'none'}${tokens.refresh_token ? ', with a refresh token' : ''})`,
    );
    this.#tokens = tokens;
  }

  saveCodeVerifier(verifier) {
    this.#codeVerifier = verifier;
  }

  codeVerifier() {
    if (!this.#codeVerifier) throw new Error('no PKCE code verifier saved');
    return this.#codeVerifier;
  }

  // Kept with the verifier, so the code exchange is bound to the authorization server that was
  // asked (SEP-2352); the SDK warns without it.
  saveDiscoveryState(state) {
    this.#discoveryState = state;
  }

  discoveryState() {
    return this.#discoveryState;
  }

  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this.#clientInformation = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#codeVerifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discoveryState = undefined;
  }

  async redirectToAuthorization(authorizationUrl) {
    if (this.authorizations >= MAX_AUTHORIZATIONS) {
      throw new Error(`authorization refused: ${MAX_AUTHORIZATIONS} authorization requests already made`);
    }
    this.authorizations += 1;
    const scope = authorizationUrl.searchParams.get('scope');
    log(`authorization request ${this.authorizations} (scope: ${scope ?? 'none'})`);
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (!location)
      throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
    const callback = new URL(location, authorizationUrl);
    if (`${callback.origin}${callback.pathname}` !== REDIRECT_URL) {
      throw new Error(
        `the authorization endpoint redirected to ${callback.origin}${callback.pathname}, not ${REDIRECT_URL}`,
      );
    }
    if (callback.searchParams.get('state') !== this.#state)
      throw new Error('the authorization response has the wrong state');
    this.#callback = callback.searchParams;
  }

  /** The authorization response (callback query) captured since the last call, if any. */
  takeCallback() {
    const callback = this.#callback;
    this.#callback = undefined;
    return callback;
  }
}

/**
 * While the server is `unauthorized` (a connect got 401, or 403 `insufficient_scope`, and began the
 * code flow), hands berth the authorization response the provider captured. Bounded by the
 * provider's MAX_AUTHORIZATIONS: each round needs a new authorization request.
 */
async function finishAuthorizations(host, provider) {
  while (serverStatus(host)?.state === 'unauthorized') {
    const callback = provider.takeCallback();
    if (!callback) throw new Error('the server is unauthorized, but no authorization response was captured');
    log('finishAuth');
    await host.finishAuth(SERVER, callback);
  }
}

/**
 * The authorization code flow (the reference client's well-behaved OAuth client): connect, which
 * begins the flow; finish it; then call `test-tool`. A call refused mid-session with 403
 * `insufficient_scope` makes the transport re-authorize with the union of scopes (step-up): when
 * that produced an authorization response, the application finishes that authorization too and
 * retries the call once (the server refused it before running it).
 */
async function authorizationCodeClient({ clientInformation, tool = 'test-tool', dpop = false } = {}) {
  const provider = new InMemoryOAuthClient({
    clientMetadataUrl: CIMD_CLIENT_METADATA_URL,
    clientInformation,
    dpop,
  });
  const host = await openHost(authFor(provider), (host) => finishAuthorizations(host, provider));
  try {
    if (!tool) return;
    try {
      await callTool(host, tool);
    } catch (error) {
      const callback = provider.takeCallback();
      if (!callback) throw error;
      log(`${tool} failed (${error.name}: ${error.message}) after the transport began a new authorization`);
      log('finishAuth');
      await host.finishAuth(SERVER, callback);
      await finishAuthorizations(host, provider);
      assertReady(host);
      await callTool(host, tool);
    }
  } finally {
    await host.close();
  }
}

/** A non-interactive provider (the transport gets its token by itself on the first 401). */
async function nonInteractiveClient(provider, { tool } = {}) {
  const host = await openHost(authFor(provider));
  try {
    if (tool) await callTool(host, tool);
  } finally {
    await host.close();
  }
}

const authHandlers = {
  // Pre-registered credentials (the server offers no registration endpoint): the provider starts
  // with the client information, so the SDK does no DCR. The reference client connects and lists.
  'auth/pre-registration': () => {
    const ctx = context();
    return authorizationCodeClient({
      clientInformation: {
        client_id: ctx.client_id,
        client_secret: ctx.client_secret,
        redirect_uris: [REDIRECT_URL],
      },
      tool: null, // the reference client only connects and lists
    });
  },
  // client_credentials with client_secret_basic (SEP-1046). The reference client connects and lists.
  'auth/client-credentials-basic': () => {
    const ctx = context();
    return nonInteractiveClient(
      new ClientCredentialsProvider({ clientId: ctx.client_id, clientSecret: ctx.client_secret }),
    );
  },
  // client_credentials with a private_key_jwt client assertion (SEP-1046). Connects and lists.
  'auth/client-credentials-jwt': () => {
    const ctx = context();
    return nonInteractiveClient(
      new PrivateKeyJwtProvider({
        clientId: ctx.client_id,
        privateKey: ctx.private_key_pem,
        algorithm: ctx.signing_algorithm ?? 'ES256',
      }),
    );
  },
  // SEP-990: the ID token is exchanged at the IdP for an ID-JAG (RFC 8693), which the provider
  // presents to the MCP server's authorization server (RFC 7523 JWT bearer grant, Basic auth).
  // The reference client then calls test-tool.
  'auth/enterprise-managed-authorization': () => {
    const ctx = context();
    const provider = new CrossAppAccessProvider({
      clientId: ctx.client_id,
      clientSecret: ctx.client_secret,
      assertion: async ({ authorizationServerUrl, resourceUrl, scope, fetchFn }) => {
        const grant = await requestJwtAuthorizationGrant({
          tokenEndpoint: ctx.idp_token_endpoint,
          audience: authorizationServerUrl,
          resource: resourceUrl,
          idToken: ctx.idp_id_token,
          clientId: ctx.idp_client_id,
          scope,
          fetchFn,
        });
        log('ID-JAG obtained from the IdP');
        return grant.jwtAuthGrant;
      },
    });
    return nonInteractiveClient(provider, { tool: 'test-tool' });
  },
  // DPoP (SEP-1932): the authorization code client, its provider with a DPoP session; with
  // dpop-nonce, the authorization server and the MCP server each first answer use_dpop_nonce.
  'auth/dpop': () => authorizationCodeClient({ dpop: true }),
  'auth/dpop-nonce': () => authorizationCodeClient({ dpop: true }),
  // Workload identity federation (SEP-1933): the workload's JWT is the assertion of an RFC 7523
  // JWT-bearer grant, by a public client. The reference client connects and lists.
  'auth/wif-jwt-bearer': () => {
    const ctx = context();
    return nonInteractiveClient(
      new WorkloadIdentityClient({ clientId: ctx.client_id, assertion: ctx.valid_jwt }),
    );
  },
};

/**
 * A non-interactive `OAuthClientProvider` for workload identity federation (SEP-1933): it gets its
 * token with the RFC 7523 JWT-bearer grant, presenting the workload's JWT (issued to it by its
 * platform) as the `assertion`, as a public client (`token_endpoint_auth_method: none`). The SDK
 * runs the grant through its `prepareTokenRequest` hook on the first 401. A refused assertion is
 * not presented again (the grant must not be retried): a second token request fails here.
 */
class WorkloadIdentityClient {
  #tokens;
  #attempted = false;

  constructor({ clientId, assertion }) {
    this.clientId = clientId;
    this.assertion = assertion;
  }

  get redirectUrl() {
    return undefined;
  }

  get clientMetadata() {
    return {
      client_name: 'berth conformance workload',
      redirect_uris: [],
      grant_types: [JWT_BEARER_GRANT],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() {
    return { client_id: this.clientId };
  }

  tokens() {
    return this.#tokens;
  }

  saveTokens(tokens) {
    log(`tokens saved (scope: ${tokens.scope ?? 'none'})`);
    this.#tokens = tokens;
  }

  redirectToAuthorization() {
    throw new Error('the JWT-bearer grant has no authorization request');
  }

  saveCodeVerifier() {}

  codeVerifier() {
    throw new Error('the JWT-bearer grant has no PKCE verifier');
  }

  prepareTokenRequest(scope) {
    if (this.#attempted) throw new Error('the workload assertion was already presented once');
    this.#attempted = true;
    const params = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: this.assertion });
    if (scope) params.set('scope', scope);
    return params;
  }
}

// Every other auth scenario (discovery variants, DCR / CIMD, token endpoint auth methods, scopes,
// step-up, retry limit, 2025-03-26 back-compat, resource mismatch, offline_access) is the reference
// client's well-behaved authorization code client.
const authHandler = () => authorizationCodeClient();

async function main() {
  if (!scenario || !url || !/^https?:\/\//.test(url)) {
    console.error('usage: MCP_CONFORMANCE_SCENARIO=<scenario> node conformance/client.mjs <server-url>');
    return 2;
  }
  const handler =
    handlers[scenario] ?? authHandlers[scenario] ?? (scenario.startsWith('auth/') ? authHandler : undefined);
  if (!handler) {
    console.error(`no handler for scenario ${scenario}`);
    return 2;
  }
  if (process.env.MCP_CONFORMANCE_CONTEXT) log(`context: ${process.env.MCP_CONFORMANCE_CONTEXT}`);
  log(`scenario ${scenario} against ${url}`);
  try {
    await handler();
    log('done');
    return 0;
  } catch (error) {
    log('failed:', error instanceof Error ? `${error.name}: ${error.message}` : error);
    for (let cause = error?.cause, depth = 0; cause && depth < 5; cause = cause.cause, depth++) {
      log('  cause:', cause instanceof Error ? `${cause.name}: ${cause.message}` : cause);
    }
    return 1;
  }
}

process.exitCode = await main();
