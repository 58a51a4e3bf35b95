/**
 * One client's MCP server: an SDK `Server` whose handlers answer from the gateway, for one 2025-era
 * client session or one 2026-era request. It owns nothing long-lived: calls run as the conversation's
 * (which owns the keyed sessions), and a call that an upstream server interrupts with a request for
 * the client (sampling, elicitation) is answered over rounds of `input_required` results, whose
 * `requestState` is sealed and bound to the caller.
 */
import { VERSION } from '../util/version.js';
import {
  CLIENT_CAPABILITIES_META_KEY,
  LOG_LEVEL_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  inputRequired,
  isInputRequiredResult,
  type CallToolResult,
  type ClientCapabilities,
  type GetPromptResult,
  type ReadResourceResult,
  type InputRequest,
  type LoggingLevel,
  type ServerContext,
  UriTemplate,
} from '@modelcontextprotocol/server';
import {
  BerthError,
  CallAbortedError,
  InvalidArgumentsError,
  RequestFailedError,
  UnknownNameError,
} from '../errors.js';
import { randomUUID } from 'node:crypto';
import { traceServerRequests } from '../telemetry/server.js';
import type { Host } from '../host/host.js';
import type { CallOptions } from '../host/options.js';
import type { Conversation } from './conversations.js';
import type { CallRecord, Caller, Gateway, RoundState } from './gateway.js';
import type { ClientAsk, RelayedCall } from './relay.js';
import { CONVERSATION_META_KEY } from './keys.js';

/**
 * The `_meta` key of a request to an upstream server that tells, in a cluster, which replica owns the
 * conversation and its fencing token (`{ replica, fence }`): a server keeping state outside its
 * process can refuse a request whose fence is lower than one it has seen.
 */
export const OWNER_META_KEY = 'berth/owner';

/** How a client's requests are tied to a caller and a conversation. */
export interface ClientBinding {
  /**
   * The caller, when a request carries no credentials of its own (stdio). Over HTTP each request's
   * own `authInfo` is the caller: a 2025-era session lives across requests, and each may come with a
   * different token of its principal (a refreshed, narrower one), whose scopes are the ones that count.
   */
  readonly caller: Caller;
  /** The conversation a request belongs to (opened on first use where the era allows). */
  conversation(meta: Record<string, unknown> | undefined): Promise<Conversation>;
  /** The client's capabilities for this request: from `initialize` (2025) or the request's envelope (2026). */
  capabilities(ctx: ServerContext): ClientCapabilities | undefined;
}

/** berth's name and version as the gateway reports them. */
export const GATEWAY_INFO = { name: 'berth', version: VERSION };

interface RoundSink {
  notify: ServerContext['mcpReq']['notify'] | undefined;
  progressToken: string | number | undefined;
}

/** Builds the SDK server that answers one client (or one 2026-era request). */
export function createClientServer(gateway: Gateway, binding: ClientBinding): Server {
  const server = new Server(GATEWAY_INFO, {
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      completions: {},
      logging: {},
    },
    requestState: { verify: (state, ctx) => gateway.roundState.verify(state, ctx) },
  });
  traceServerRequests(server); // a SERVER span per request, when OpenTelemetry is installed
  const callerOf = (ctx: ServerContext): Caller => {
    const info = ctx.http?.authInfo;
    return info ? { name: info.clientId, scopes: info.scopes } : binding.caller;
  };
  const { host } = gateway;
  const sinks = new WeakMap<RelayedCall<unknown>, RoundSink>();
  /** Rounds waiting on a server now: its logs go to them, related to the call. */
  const rounds = new Set<{ server: string; log: ServerContext['mcpReq']['log'] }>();

  /**
   * The `_meta` a request carries upstream: the client's own (less berth's key and its progress
   * token), the client's capabilities (so the server asks only for what this client can answer),
   * and the log level it wants (its own on 2026; on 2025, where the level is applied here, all).
   */
  function upstreamMeta(
    meta: Record<string, unknown> | undefined,
    ctx: ServerContext,
    conversation: Conversation,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { ...forwardedMeta(meta) };
    // In a cluster: which replica owns the conversation, under which fencing token.
    const owner = gateway.ownerOf(conversation.key);
    if (owner) out[OWNER_META_KEY] = owner;
    const capabilities = binding.capabilities(ctx);
    if (capabilities) out[CLIENT_CAPABILITIES_META_KEY] = capabilities;
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const level = envelope ? envelope[LOG_LEVEL_META_KEY] : 'debug';
    if (level !== undefined) out[LOG_LEVEL_META_KEY] = level;
    return out;
  }

  server.setRequestHandler('tools/list', (_request, ctx) => ({
    tools: gateway.tools(callerOf(ctx)).map(({ served, tool }) => ({
      name: served,
      ...(tool.title !== undefined && { title: tool.title }),
      ...(tool.description !== undefined && { description: tool.description }),
      inputSchema: tool.inputSchema,
      ...(tool.outputSchema && { outputSchema: tool.outputSchema }),
      ...(tool.annotations && { annotations: tool.annotations }),
    })),
  }));

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args = {} } = request.params;
    const caller = callerOf(ctx);
    const tool = gateway.tool(caller, name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, gateway.whyUnknown(caller, name));
    const state = roundState(ctx, name);
    let call: RelayedCall<CallToolResult>;
    if (state?.call !== undefined) {
      const found = gateway.relay.find(state.call, caller.name) as RelayedCall<CallToolResult> | undefined;
      if (!found) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `the call this retry continues is no longer running (it ended, or its ${name} request timed out); call the tool again`,
        );
      }
      call = found;
      call.answer(ctx.mcpReq.inputResponses ?? {});
    } else {
      const conversation = await binding.conversation(request.params._meta);
      const abort = new AbortController();
      const sink: RoundSink = { notify: undefined, progressToken: request.params._meta?.progressToken };
      const work = gateway.conversations.track(conversation, () =>
        gateway.busy(tool.server, conversation.key, () =>
          host.callTool(tool.name, args, {
            key: conversation.key,
            signal: abort.signal,
            meta: upstreamMeta(request.params._meta, ctx, conversation),
            context: { principal: caller.name },
            ...continuation(ctx, state),
            onProgress: (progress) => {
              if (sink.progressToken === undefined || !sink.notify) return;
              void sink
                .notify({
                  method: 'notifications/progress',
                  params: { ...progress, progressToken: sink.progressToken },
                })
                .catch(() => undefined);
            },
          }),
        ),
      );
      recordCall(
        gateway,
        { principal: caller.name, method: 'tools/call', target: name, server: tool.server },
        work,
      );
      call = gateway.relay.start(tool.server, conversation.key, caller.name, work, abort);
      sinks.set(call, sink);
    }
    return runRound(call, ctx, name);
  });

  /** Waits for the call's next step within this round: its result, or a request for the client. */
  async function runRound(
    call: RelayedCall<CallToolResult>,
    ctx: ServerContext,
    target: string,
  ): Promise<CallToolResult> {
    const sink = sinks.get(call) ?? { notify: undefined, progressToken: undefined };
    sinks.set(call, sink);
    sink.notify = ctx.mcpReq.notify;
    const round = { server: call.server, log: ctx.mcpReq.log };
    rounds.add(round);
    const onAbort = () => {
      call.cancel(ctx.mcpReq.signal.reason);
      gateway.relay.finish(call, 'the client cancelled the call');
    };
    if (ctx.mcpReq.signal.aborted) onAbort();
    ctx.mcpReq.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const step = await call.next();
        if (step.kind === 'ask') {
          const missing = missingCapability(step.ask.ask, binding.capabilities(ctx));
          if (missing) {
            // The call cannot go on without what the client lacks: it ends, and the client is told
            // which capability it needs.
            step.ask.fail(`the client does not offer ${missing.name}`);
            gateway.relay.finish(call, `the client does not offer ${missing.name}`);
            throw new MissingRequiredClientCapabilityError(
              { requiredCapabilities: missing.capabilities },
              `server "${call.server}" asked for ${missing.name}, which this client does not offer`,
            );
          }
          const requestState = await gateway.roundState.mint(
            { call: call.id, target, nonce: randomUUID() },
            ctx,
          );
          return inputRequired({
            inputRequests: { [step.ask.id]: inputRequest(step.ask.ask) },
            requestState,
          }) as unknown as CallToolResult;
        }
        gateway.relay.finish(call, 'the call ended');
        if (step.kind === 'done') return passOn(step.value, ctx, target);
        return toolFailure(step.error);
      }
    } finally {
      rounds.delete(round);
      sink.notify = undefined;
      ctx.mcpReq.signal.removeEventListener('abort', onAbort);
    }
  }

  server.setRequestHandler('prompts/list', () => ({
    prompts: gateway.prompts().map(({ served, prompt }) => ({
      name: served,
      ...(prompt.title !== undefined && { title: prompt.title }),
      ...(prompt.description !== undefined && { description: prompt.description }),
      ...(prompt.arguments && { arguments: prompt.arguments }),
    })),
  }));

  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const prompt = gateway.prompt(request.params.name);
    if (!prompt)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
    const conversation = await binding.conversation(request.params._meta);
    const state = roundState(ctx, request.params.name);
    const work = gateway.conversations.track(conversation, () =>
      gateway.busy(prompt.server, conversation.key, () =>
        host.getPrompt(prompt.name, request.params.arguments ?? {}, {
          key: conversation.key,
          signal: ctx.mcpReq.signal,
          meta: upstreamMeta(request.params._meta, ctx, conversation),
          ...continuation(ctx, state),
        }),
      ),
    );
    const what = { method: 'prompts/get', target: request.params.name, server: prompt.server } as const;
    recordCall(gateway, { principal: callerOf(ctx).name, ...what }, work);
    const result = await asProtocol(() => work);
    return passOn(result, ctx, request.params.name);
  });

  server.setRequestHandler('resources/list', () => ({
    resources: host.resources().map(({ server: _server, ...resource }) => resource),
  }));

  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: host.resourceTemplates().map(({ server: _server, ...template }) => template),
  }));

  server.setRequestHandler('resources/read', async (request, ctx) => {
    const conversation = await binding.conversation(request.params._meta);
    const state = roundState(ctx, request.params.uri);
    const work = gateway.conversations.track(conversation, () =>
      gateway.busy(undefined, conversation.key, () =>
        host.readResource(request.params.uri, {
          key: conversation.key,
          signal: ctx.mcpReq.signal,
          meta: upstreamMeta(request.params._meta, ctx, conversation),
          ...continuation(ctx, state),
        }),
      ),
    );
    const what = { method: 'resources/read', ...resourceRecord(host, request.params.uri) } as const;
    recordCall(gateway, { principal: callerOf(ctx).name, ...what }, work);
    const result = await asProtocol(() => work);
    return passOn(result, ctx, request.params.uri);
  });

  const subscribed = new Set<string>();
  server.setRequestHandler('resources/subscribe', async (request) => {
    const { uri } = request.params;
    if (subscribed.has(uri)) return {};
    await asProtocol(() => gateway.subscribe(uri));
    subscribed.add(uri);
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', async (request) => {
    const { uri } = request.params;
    if (subscribed.delete(uri)) await gateway.unsubscribe(uri);
    return {};
  });
  const stopUpdates = gateway.onResourceUpdated((uri) => {
    if (subscribed.has(uri)) void server.sendResourceUpdated({ uri }).catch(() => undefined);
  });
  const stopLists = gateway.onListChanged((change) => {
    const send =
      change === 'tools'
        ? server.sendToolListChanged()
        : change === 'prompts'
          ? server.sendPromptListChanged()
          : server.sendResourceListChanged();
    void send.catch(() => undefined);
  });
  const stopLogs = gateway.onLog((log) => {
    // Related to a call of this client on that server when there is one, else on its own; the SDK
    // drops it below the level the client set with logging/setLevel.
    const level = log.level as LoggingLevel;
    const round = [...rounds].find((r) => r.server === log.server);
    const sent = round
      ? round.log(level, log.data, log.logger)
      : server.sendLoggingMessage({ level, logger: log.logger, data: log.data });
    void sent.catch(() => undefined);
  });
  const previousOnClose = server.onclose;
  server.onclose = () => {
    stopUpdates();
    stopLists();
    stopLogs();
    for (const uri of subscribed) void gateway.unsubscribe(uri);
    subscribed.clear();
    previousOnClose?.();
  };

  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const { ref, argument, context } = request.params;
    let target: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
    if (ref.type === 'ref/prompt') {
      const prompt = gateway.prompt(ref.name);
      if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${ref.name}`);
      target = { type: 'ref/prompt', name: prompt.name };
    } else {
      target = { type: 'ref/resource', uri: ref.uri };
    }
    const conversation = await binding.conversation(request.params._meta);
    return asProtocol(() =>
      gateway.busy(undefined, conversation.key, () =>
        host.complete(target, argument, {
          key: conversation.key,
          signal: ctx.mcpReq.signal,
          ...(context?.arguments && { arguments: context.arguments }),
        }),
      ),
    );
  });

  /**
   * A 2026 server's `input_required` result, passed on to the client as is (its requests keep the
   * server's own keys), with the server's state sealed inside the gateway's; any other result unchanged.
   */
  async function passOn<T>(result: T, ctx: ServerContext, target: string): Promise<T> {
    if (!isInputRequiredResult(result)) return result;
    const requestState = await gateway.roundState.mint(
      {
        ...(result.requestState !== undefined && { upstream: result.requestState }),
        target,
        nonce: randomUUID(),
      },
      ctx,
    );
    return inputRequired({
      ...(result.inputRequests && { inputRequests: result.inputRequests }),
      requestState,
    }) as unknown as T;
  }

  return server;
}

/**
 * How a resource read is recorded: its URI when a server lists it, with that server (none when
 * several list it: the host refuses the read as ambiguous); else the template it matches and that
 * template's server (the URI's filled-in parts are the client's data, kept out like a call's
 * arguments); else an unlisted URI, with no server.
 */
function resourceRecord(host: Host, uri: string): Pick<CallRecord, 'target' | 'server'> {
  const listed = new Set(host.resources().flatMap((r) => (r.uri === uri ? [r.server] : [])));
  if (listed.size > 0) return { target: uri, server: listed.size === 1 ? [...listed][0]! : '' };
  const template = host.resourceTemplates().find((t) => {
    try {
      return Boolean(new UriTemplate(t.uriTemplate).match(uri));
    } catch {
      return false; // a template the SDK cannot parse: not shown as the match
    }
  });
  if (template) return { target: template.uriTemplate, server: template.server };
  return { target: '(a URI no server lists)', server: '' };
}

/** Reports `work` to the gateway's call listeners once it settles: timing and outcome, never its content. */
function recordCall(
  gateway: Gateway,
  what: Pick<CallRecord, 'principal' | 'method' | 'target' | 'server'>,
  work: Promise<CallToolResult | GetPromptResult | ReadResourceResult>,
): void {
  const at = Date.now();
  const started = performance.now();
  const done = (outcome: CallRecord['outcome'], code?: string) =>
    gateway.recordCall({
      ...what,
      at,
      durationMs: performance.now() - started,
      outcome,
      ...(code !== undefined && { code }),
    });
  void work.then(
    (result) =>
      done(
        isInputRequiredResult(result)
          ? 'input_required'
          : 'isError' in result && result.isError
            ? 'tool_error'
            : 'ok',
      ),
    (error: unknown) => done('error', errorCode(error)),
  );
}

/** An error's code for the record: the JSON-RPC code, else berth's, else its name. */
function errorCode(error: unknown): string {
  if (error instanceof RequestFailedError && error.rpcCode !== undefined) return String(error.rpcCode);
  if (error instanceof BerthError) return error.code;
  if (error instanceof ProtocolError) return String(error.code);
  return error instanceof Error ? error.name : 'unknown';
}

/** The round state a retried request carries, if it is one of this target's (else none). */
function roundState(ctx: ServerContext, target: string): RoundState | undefined {
  const state = ctx.mcpReq.requestState<RoundState>();
  if (!state || typeof state !== 'object') return undefined;
  if (state.target !== target) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      'requestState belongs to another request; call again',
    );
  }
  return state;
}

/** What a retried request sends upstream: the client's answers and the server's own state. */
function continuation(
  ctx: ServerContext,
  state: RoundState | undefined,
): Pick<CallOptions, 'inputRequired' | 'retry'> {
  const inputResponses = ctx.mcpReq.inputResponses;
  const requestState = state?.upstream;
  return {
    inputRequired: 'return',
    ...((inputResponses || requestState !== undefined) && {
      retry: {
        ...(inputResponses && { inputResponses }),
        ...(requestState !== undefined && { requestState }),
      },
    }),
  };
}

/** The client's `_meta` as sent upstream: without the progress token (berth sends its own) and berth's key. */
function forwardedMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  // A client's own `berth/owner` never reaches a server: only the gateway vouches for an owner.
  const { progressToken: _token, [CONVERSATION_META_KEY]: _key, [OWNER_META_KEY]: _owner, ...rest } = meta;
  return Object.keys(rest).length ? rest : undefined;
}

/** The capability a client needs to answer an upstream request, when it does not have it. */
function missingCapability(
  ask: ClientAsk,
  capabilities: ClientCapabilities | undefined,
): { name: string; capabilities: ClientCapabilities } | undefined {
  if (ask.method === 'sampling/createMessage') {
    return capabilities?.sampling ? undefined : { name: 'sampling', capabilities: { sampling: {} } };
  }
  const mode = ask.params.mode ?? 'form';
  const elicitation = capabilities?.elicitation as Record<string, unknown> | undefined;
  if (!elicitation)
    return { name: 'elicitation', capabilities: { elicitation: mode === 'url' ? { url: {} } : {} } };
  // An empty elicitation capability means form mode (2025-06-18 clients).
  if (mode === 'url' && !elicitation.url) {
    return { name: 'URL-mode elicitation', capabilities: { elicitation: { url: {} } } };
  }
  return undefined;
}

/** An upstream request as an embedded request of an input-required result. */
function inputRequest(ask: ClientAsk): InputRequest {
  if (ask.method === 'sampling/createMessage') return inputRequired.createMessage(ask.params);
  const params = ask.params;
  if (params.mode === 'url') {
    const { mode: _mode, elicitationId: _id, ...url } = params;
    return inputRequired.elicitUrl(url);
  }
  const { mode: _mode, ...form } = params;
  return inputRequired.elicit(form);
}

/** The client capabilities a 2026-era request declares in its envelope. */
export function envelopeCapabilities(ctx: ServerContext): ClientCapabilities | undefined {
  return ctx.mcpReq.envelope?.[CLIENT_CAPABILITIES_META_KEY as keyof typeof ctx.mcpReq.envelope];
}

/**
 * A failed call as the client sees it: a name or argument problem is a protocol error (the client's
 * mistake); an error the server returned keeps its code, message and data; anything else (the server
 * is down, restarting, timed out) is a tool error result naming the server and why, so an agent's
 * model reads it rather than its loop crashing.
 */
function toolFailure(error: unknown): CallToolResult {
  if (error instanceof CallAbortedError)
    throw new ProtocolError(ProtocolErrorCode.InternalError, error.message);
  if (
    error instanceof UnknownNameError ||
    error instanceof InvalidArgumentsError ||
    error instanceof RequestFailedError
  ) {
    throw toProtocolError(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Runs `work`, turning berth's errors into protocol errors with their words. */
async function asProtocol<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toProtocolError(error);
  }
}

function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof RequestFailedError && error.rpcCode !== undefined) {
    return new ProtocolError(error.rpcCode, error.message, error.data);
  }
  if (error instanceof UnknownNameError || error instanceof InvalidArgumentsError) {
    const data =
      error instanceof UnknownNameError && error.code === 'UNKNOWN_RESOURCE'
        ? { uri: error.requested }
        : { berth: error.code };
    return new ProtocolError(ProtocolErrorCode.InvalidParams, error.message, data);
  }
  const message = error instanceof Error ? error.message : String(error);
  const data = error instanceof BerthError ? { berth: error.code } : undefined;
  return new ProtocolError(ProtocolErrorCode.InternalError, message, data);
}
