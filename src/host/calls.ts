/**
 * The call path: from a catalog name (or a resource URI) to the server that serves it, the argument
 * check, and the retry policy for a session lost mid-call. A name that misses while servers are still
 * starting is looked up again once they have settled. Sending itself is the dispatcher's job.
 */
import type {
  CallToolResult,
  CompleteResult,
  GetPromptResult,
  ReadResourceResult,
} from '@modelcontextprotocol/client';
import type { Skill, SkillFile, SkillListing } from '@modelcontextprotocol/client/ext/skills';
import type { CatalogTool } from '../catalog/catalog.js';
import { suggestNames } from '../catalog/suggest.js';
import { lazyModule } from '../util/lazy-module.js';
import { mcpSdk } from './sdk.js';
import { AmbiguousResourceError, InvalidArgumentsError, ServerError, UnknownNameError } from '../errors.js';
import { settledBy } from '../util/abort.js';
import { Deadline } from '../util/deadline.js';
import { MAX_TIMER_MS } from '../util/duration.js';
import type { Dispatcher } from './dispatch.js';
import type { InterceptedMethod } from './middleware.js';
import type { CallOptions, CompleteOptions } from './options.js';
import type { ServerSet } from './servers.js';

/** Ajv and the argument validators, loaded with the first call (a host that makes none never loads them). */
const jsonSchema = lazyModule(() => import('../util/json-schema.js'));

/** The `ref` of a completion request: a prompt by catalog name, or a resource template by URI template. */
export type CompletionRef = { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };

/** The params a call adds to its request: its `_meta`, and a multi-round-trip retry's answers and state. */
function requestExtras(options: CallOptions): Record<string, unknown> {
  const { meta, retry } = options;
  return {
    ...(meta && { _meta: meta }),
    ...(retry?.inputResponses && { inputResponses: retry.inputResponses }),
    ...(retry?.requestState !== undefined && { requestState: retry.requestState }),
  };
}

/** Resolves names and sends the caller's requests. */
export class Calls {
  readonly #servers: ServerSet;
  readonly #dispatcher: Dispatcher;

  constructor(servers: ServerSet, dispatcher: Dispatcher) {
    this.#servers = servers;
    this.#dispatcher = dispatcher;
  }

  /**
   * Calls a tool by catalog name; on a lost session, retries once where running it twice is safe.
   * With `allow` (a toolset's filter), a tool it rejects is as unknown as one that does not exist.
   */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    allow?: (tool: CatalogTool) => boolean,
  ): Promise<CallToolResult> {
    const entered = Date.now();
    const { catalog } = this.#servers;
    const tool =
      catalog.tool(name) ?? (await this.#lookupAfterStartup(() => catalog.tool(name), options, entered));
    if (!tool || (allow && !allow(tool))) {
      const visible = allow ? catalog.tools().filter(allow) : catalog.tools();
      throw (
        (!allow && this.#servers.downServerFor(name)) ||
        new UnknownNameError(
          'tool',
          name,
          suggestNames(
            name,
            visible.map((t) => t.name),
          ),
        )
      );
    }
    const { argumentsValidator } = jsonSchema.loaded ?? (await jsonSchema.load());
    const problems = argumentsValidator(tool.inputSchema)(args);
    if (problems.length > 0) throw new InvalidArgumentsError(name, problems);
    const params = { name: tool.tool, arguments: args, ...requestExtras(options) };
    const definition = catalog.definition(name);
    const runtime = this.#servers.runtime(tool.server);
    const deadline = Deadline.in(options.timeoutMs ?? runtime.spec.timeouts.callMs, entered);
    const send = () =>
      this.#dispatcher.send<CallToolResult>(
        runtime,
        'tools/call',
        params,
        { ...options, deadline },
        name,
        definition,
      );
    try {
      return await send();
    } catch (error) {
      // A session lost mid-call: retry once, within the same deadline, but only where running the
      // tool twice is safe.
      if (!(error instanceof ServerError && error.outcomeUnknown && this.#retrySafe(tool))) throw error;
      if (deadline.passed) throw error;
      return send();
    }
  }

  /** Whether a call of `tool` may be sent again after its outcome was lost. */
  #retrySafe(tool: CatalogTool): boolean {
    const { annotations } = tool;
    if (annotations?.readOnlyHint || annotations?.idempotentHint) return true;
    return this.#servers.get(tool.server)?.spec.health.retrySafe ?? false;
  }

  /** Gets a prompt by catalog name. */
  async getPrompt(
    name: string,
    args: Record<string, string>,
    options: CallOptions,
  ): Promise<GetPromptResult> {
    const entered = Date.now();
    const { catalog } = this.#servers;
    const prompt =
      catalog.prompt(name) ?? (await this.#lookupAfterStartup(() => catalog.prompt(name), options, entered));
    if (!prompt) {
      throw new UnknownNameError(
        'prompt',
        name,
        suggestNames(
          name,
          catalog.prompts().map((p) => p.name),
        ),
      );
    }
    const params = { name: prompt.prompt, arguments: args, ...requestExtras(options) };
    return this.#send(prompt.server, 'prompts/get', params, options, entered, name);
  }

  /** Reads a resource from the server that lists it (or whose template matches it), or from `server`. */
  async readResource(uri: string, options: CallOptions & { server?: string }): Promise<ReadResourceResult> {
    const entered = Date.now();
    const server = options.server ?? (await this.serverForUri(uri));
    if (!server) {
      throw new UnknownNameError(
        'resource',
        uri,
        suggestNames(
          uri,
          this.#servers.catalog.resources().map((r) => r.uri),
        ),
      );
    }
    const params = { uri, ...requestExtras(options) };
    return this.#send(server, 'resources/read', params, options, entered);
  }

  /** Asks a server to complete an argument of a prompt or of a resource template. */
  async complete(
    ref: CompletionRef,
    argument: { name: string; value: string },
    options: CompleteOptions,
  ): Promise<CompleteResult> {
    const entered = Date.now();
    const { catalog } = this.#servers;
    let server: string | undefined;
    let wireRef: CompletionRef = ref;
    if (ref.type === 'ref/prompt') {
      const prompt = catalog.prompt(ref.name);
      if (!prompt) {
        throw new UnknownNameError(
          'prompt',
          ref.name,
          suggestNames(
            ref.name,
            catalog.prompts().map((p) => p.name),
          ),
        );
      }
      server = prompt.server;
      wireRef = { type: 'ref/prompt', name: prompt.prompt };
    } else {
      server = options.server ?? catalog.resourceTemplates().find((t) => t.uriTemplate === ref.uri)?.server;
      if (!server) throw new UnknownNameError('resource', ref.uri, []);
    }
    // The completion context carries only the arguments already chosen; `options.context` is the
    // caller's context for interceptors and never leaves the host.
    const params = {
      ref: wireRef,
      argument,
      ...(options.arguments && { context: { arguments: options.arguments } }),
    };
    return this.#send(server, 'completion/complete', params, options, entered);
  }

  /**
   * Lists a server's skills (the Skills extension, SEP-2640): the valid entries of `skills/list`,
   * every page; no skill file is read. A server without the extension has none.
   */
  async listSkills(server: string, options: CallOptions): Promise<Skill[]> {
    const entered = Date.now();
    const listing = await this.#send<SkillListing>(server, 'skills/list', {}, options, entered);
    return listing.skills;
  }

  /**
   * Reads one file of a server's skill (`ref`: a path in the skill or a URI; default its `SKILL.md`),
   * verified by the SDK against the skill's entry: listed, its size and digest, and for `SKILL.md` its
   * frontmatter. A file that fails is not returned: the call fails with a `SkillVerificationError`
   * as its cause.
   */
  async readSkill(
    server: string,
    skill: Skill,
    ref: string | undefined,
    options: CallOptions,
  ): Promise<SkillFile> {
    const entered = Date.now();
    return this.#send(server, 'skills/read', { skill, ...(ref !== undefined && { ref }) }, options, entered);
  }

  /**
   * The server of a resource URI: the one server listing it, else one whose template matches. A URI
   * several servers list throws `AmbiguousResourceError` asking for `{ server }`.
   */
  async serverForUri(uri: string): Promise<string | undefined> {
    const { catalog } = this.#servers;
    const listed = catalog.resources().filter((r) => r.uri === uri);
    if (listed.length === 1) return listed[0]!.server;
    if (listed.length > 1)
      throw new AmbiguousResourceError(uri, [...new Set(listed.map((r) => r.server))].sort());
    const templates = catalog.resourceTemplates();
    if (templates.length === 0) return undefined;
    const { UriTemplate } = mcpSdk.loaded ?? (await mcpSdk.load());
    const template = templates.find((t) => new UriTemplate(t.uriTemplate).match(uri));
    return template?.server;
  }

  /** Sends to `server` with the call's deadline, counted from when the call `entered` berth. */
  #send<T>(
    server: string,
    method: InterceptedMethod,
    params: Record<string, unknown>,
    options: CallOptions,
    entered: number,
    name?: string,
  ): Promise<T> {
    const runtime = this.#servers.runtime(server);
    const deadline = Deadline.in(options.timeoutMs ?? runtime.spec.timeouts.callMs, entered);
    return this.#dispatcher.send(runtime, method, params, { ...options, deadline }, name);
  }

  /**
   * A deadline for a request to `server` that is not a call of the catalog (a subscription), from now.
   */
  deadlineFor(server: string, options: CallOptions): Deadline {
    return Deadline.in(options.timeoutMs ?? this.#servers.runtime(server).spec.timeouts.callMs);
  }

  /**
   * If some server is still starting, waits for startup to settle and looks again: no longer than the
   * call's `timeoutMs` (counted from when it `entered`) and its signal allow, since a server being
   * added may take its whole startup timeout. What is still not found then is unknown to the caller.
   */
  async #lookupAfterStartup<T>(
    find: () => T | undefined,
    options: CallOptions,
    entered: number,
  ): Promise<T | undefined> {
    if (!this.#servers.starting()) return undefined;
    const ready = this.#servers.ready();
    if (options.timeoutMs === undefined && !options.signal) await ready;
    else {
      // Without timeoutMs only the signal bounds the wait (ready() ends with the startup timeouts).
      const at = entered + (options.timeoutMs ?? MAX_TIMER_MS);
      await settledBy(ready, at, options.signal);
    }
    return find();
  }
}
