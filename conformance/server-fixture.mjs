#!/usr/bin/env node
// @ts-check
/**
 * berth's "everything" server for the official MCP conformance suite's SERVER scenarios: what the
 * suite's scenarios expect of a server (tools `test_simple_text` … `test_input_required_result_*`,
 * the `test://` resources, the `test_*` prompts, completion, logging), for both protocol eras
 * (2025-11-25 and 2026-07-28), on the official SDK v2 server package. The suite's npm package does
 * not ship its own example server (`examples/servers/typescript/everything-server.ts` in its
 * repository, on SDK v1); this one follows that server's names and answers, and the requirements each
 * scenario states in its description.
 *
 * Run as a program it serves one client over stdio (`serveStdio`: a `server/discover` opening gets
 * the 2026-07-28 era, an `initialize` the 2025 one); that is how it sits behind `berth serve` in
 * conformance/server.mjs. conformance/fixture-http.mjs imports `createFixtureServer` and serves the
 * same factory over Streamable HTTP, to check the fixture against the suite directly.
 *
 * Handlers are written once for both eras. Server-to-client requests (sampling, elicitation, roots)
 * are `inputRequired(...)` results: on a 2026-07-28 request the client fulfils them and calls again
 * (multi-round trip); on a 2025 connection the SDK's legacy shim sends them as real requests to the
 * client and re-enters the handler with the answers.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  McpServer,
  ResourceTemplate,
  completable,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  inputResponse,
} from '@modelcontextprotocol/server';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/** A 1x1 red PNG. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A minimal WAV file. */
const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** The inputSchema the json-schema-2020-12 scenario expects verbatim (SEP-1613, SEP-2106). */
const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

/**
 * requestState is signed (HMAC) with a key of this process, so a tampered state is refused
 * (-32602) before any handler runs: the input-required-result-tampered-state scenario. One process
 * serves every round of a flow (stdio: the one connection; fixture-http.mjs: one process).
 */
const stateCodec = createRequestStateCodec({ key: randomBytes(32) });

/** @param {string} text */
const text = (text) => ({ content: [{ type: /** @type {const} */ ('text'), text }] });
/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {Record<string, unknown>} properties @param {string[]} [required] */
const objectSchema = (properties, required = []) => ({
  type: /** @type {const} */ ('object'),
  properties,
  required,
});

/**
 * The answer to an elicitation, for a tool's result text: `action=…, content={…}`.
 * @param {import('@modelcontextprotocol/server').InputResponseView} view
 */
const elicitationOutcome = (view) =>
  view.kind === 'elicit' ? `action=${view.action}, content=${JSON.stringify(view.content ?? {})}` : undefined;

/**
 * @typedef {object} FixtureHooks
 * @property {(kind: 'tools' | 'prompts' | 'resources') => void} [listChanged] announce a list change;
 *   default: the instance's own `list_changed` notification (over stdio the SDK routes it to the open
 *   `subscriptions/listen` streams). Over HTTP each request has its own instance, so the HTTP harness
 *   publishes on its handler's bus instead.
 */

/**
 * One server instance with everything the conformance suite's server scenarios call.
 * @param {FixtureHooks} [hooks]
 * @returns {McpServer}
 */
export function createFixtureServer(hooks = {}) {
  const server = new McpServer(
    { name: 'berth-conformance-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      requestState: { verify: (state, ctx) => stateCodec.verify(state, ctx) },
    },
  );
  // A change is a real one: a tool or prompt is added (registering it announces it), so a client in
  // front of this server (berth serve) sees a list that differs, as the scenarios say ("mutated").
  let added = 0;
  const listChanged =
    hooks.listChanged ??
    ((kind) => {
      added += 1;
      if (kind === 'tools') {
        server.registerTool(`test_added_tool_${added}`, { description: 'Added by a list change' }, async () =>
          text('added'),
        );
      } else if (kind === 'prompts') {
        server.registerPrompt(
          `test_added_prompt_${added}`,
          { description: 'Added by a list change' },
          () => ({
            messages: [{ role: 'user', content: { type: 'text', text: 'added' } }],
          }),
        );
      } else server.sendResourceListChanged();
    });

  /**
   * The client's declared capabilities: the request's own envelope (2026-07-28), or what it declared
   * in `initialize` (2025).
   * @param {import('@modelcontextprotocol/server').ServerContext} ctx
   * @returns {import('@modelcontextprotocol/server').ClientCapabilities}
   */
  const clientCapabilities = (ctx) =>
    /** @type {Record<string, any> | undefined} */ (ctx.mcpReq.envelope)?.[CLIENT_CAPABILITIES_META_KEY] ??
    server.server.getClientCapabilities() ??
    {};

  // ----- content -----
  server.registerTool('test_simple_text', { description: 'Returns simple text content' }, async () =>
    text('This is a simple text response for testing.'),
  );
  server.registerTool(
    'test_image_content',
    { description: 'Returns image content (base64 PNG)' },
    async () => ({
      content: [{ type: 'image', data: PNG, mimeType: 'image/png' }],
    }),
  );
  server.registerTool(
    'test_audio_content',
    { description: 'Returns audio content (base64 WAV)' },
    async () => ({
      content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }],
    }),
  );
  server.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded resource' },
    async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and resource content' },
    async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool('test_error_handling', { description: 'Returns a tool error' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
  }));

  // ----- notifications during a call -----
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Emits three log messages while it runs' },
    async (ctx) => {
      for (const message of ['Tool execution started', 'Tool processing data', 'Tool execution completed']) {
        await ctx.mcpReq.log('info', message, 'berth-conformance-fixture');
        await sleep(50);
      }
      return text('Tool with logging executed successfully');
    },
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 when given a progress token' },
    async (ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
          });
        }
        if (progress < 100) await sleep(50);
      }
      return text(String(progressToken ?? 'no progress token'));
    },
  );
  // SEP-1699: over Streamable HTTP with an event store, close the call's SSE stream mid-call; the
  // client reconnects (after the `retry` interval) and gets the result. Elsewhere just answers.
  server.registerTool(
    'test_reconnection',
    { description: 'Closes the SSE stream mid-call (SEP-1699), then answers' },
    async (ctx) => {
      ctx.http?.closeSSE?.();
      await sleep(100);
      return text('Reconnection test completed successfully.');
    },
  );

  // ----- server-to-client requests (both eras) -----
  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample an LLM completion',
      inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the LLM') }),
    },
    async ({ prompt }, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'sampling');
      if (answer.kind !== 'sampling') {
        return inputRequired({
          inputRequests: {
            sampling: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
              maxTokens: 100,
            }),
          },
        });
      }
      const content = /** @type {any} */ (answer.result).content;
      const reply = Array.isArray(content) ? content.find((c) => c.type === 'text')?.text : content?.text;
      return text(`LLM response: ${reply ?? 'No response'}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user for input (elicitation)',
      inputSchema: z.object({ message: z.string().describe('The message to show the user') }),
    },
    async ({ message }, ctx) => {
      const outcome = elicitationOutcome(inputResponse(ctx.mcpReq.inputResponses, 'user'));
      if (outcome) return text(`User response: ${outcome}`);
      return inputRequired({
        inputRequests: {
          user: inputRequired.elicit({
            message,
            requestedSchema: objectSchema(
              {
                username: { type: 'string', description: "User's response" },
                email: { type: 'string', description: "User's email address" },
              },
              ['username', 'email'],
            ),
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation with a default for every primitive type (SEP-1034)' },
    async (ctx) => {
      const outcome = elicitationOutcome(inputResponse(ctx.mcpReq.inputResponses, 'form'));
      if (outcome) return text(`Elicitation completed: ${outcome}`);
      return inputRequired({
        inputRequests: {
          form: inputRequired.elicit({
            message: 'Please review and update the form fields with defaults',
            requestedSchema: objectSchema({
              name: { type: 'string', description: 'User name', default: 'John Doe' },
              age: { type: 'integer', description: 'User age', default: 30 },
              score: { type: 'number', description: 'User score', default: 95.5 },
              status: {
                type: 'string',
                description: 'User status',
                enum: ['active', 'inactive', 'pending'],
                default: 'active',
              },
              verified: { type: 'boolean', description: 'Verification status', default: true },
            }),
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation with the five enum schema variants (SEP-1330)' },
    async (ctx) => {
      const outcome = elicitationOutcome(inputResponse(ctx.mcpReq.inputResponses, 'form'));
      if (outcome) return text(`Elicitation completed: ${outcome}`);
      const titled = (/** @type {string} */ noun) =>
        ['First', 'Second', 'Third'].map((ordinal, i) => ({
          const: `value${i + 1}`,
          title: `${ordinal} ${noun}`,
        }));
      return inputRequired({
        inputRequests: {
          form: inputRequired.elicit({
            message: 'Please select options from the enum fields',
            requestedSchema: objectSchema({
              untitledSingle: {
                type: 'string',
                description: 'Select one option',
                enum: ['option1', 'option2', 'option3'],
              },
              titledSingle: {
                type: 'string',
                description: 'Select one option with titles',
                oneOf: titled('Option'),
              },
              legacyEnum: {
                type: 'string',
                description: 'Select one option (legacy)',
                enum: ['opt1', 'opt2', 'opt3'],
                enumNames: ['Option One', 'Option Two', 'Option Three'],
              },
              untitledMulti: {
                type: 'array',
                description: 'Select multiple options',
                minItems: 1,
                maxItems: 3,
                items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
              },
              titledMulti: {
                type: 'array',
                description: 'Select multiple options with titles',
                minItems: 1,
                maxItems: 3,
                items: { anyOf: titled('Choice') },
              },
            }),
          }),
        },
      });
    },
  );

  // ----- JSON Schema 2020-12 preserved as written -----
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features (SEP-1613, SEP-2106)',
      inputSchema: fromJsonSchema(/** @type {any} */ (JSON_SCHEMA_2020_12)),
    },
    async (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );

  // ----- 2026-07-28: multi-round trip (SEP-2322) -----
  const nameForm = () =>
    inputRequired.elicit({
      message: 'What is your name?',
      requestedSchema: objectSchema({ name: { type: 'string' } }, ['name']),
    });
  /** @param {unknown} content @param {string} field */
  const field = (content, field) => {
    const value = /** @type {Record<string, unknown> | undefined} */ (content)?.[field];
    return typeof value === 'string' ? value : 'unknown';
  };

  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'MRTR: asks for a name (elicitation), then greets' },
    async (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'user_name');
      if (answer.kind !== 'elicit' || answer.action !== 'accept') {
        return inputRequired({ inputRequests: { user_name: nameForm() } });
      }
      return text(`Hello, ${field(answer.content, 'name')}!`);
    },
  );
  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'MRTR: asks the client to sample, then answers with the completion' },
    async (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
      if (answer.kind !== 'sampling') {
        return inputRequired({
          inputRequests: {
            capital_question: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
              maxTokens: 100,
            }),
          },
        });
      }
      const content = /** @type {any} */ (answer.result).content;
      return text(`Sampling result: ${content?.text ?? 'no response'}`);
    },
  );
  server.registerTool(
    'test_input_required_result_list_roots',
    { description: "MRTR: asks for the client's roots, then counts them" },
    async (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
      if (answer.kind !== 'roots') {
        return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      }
      return text(`Found ${answer.roots.length} root(s): ${answer.roots.map((r) => r.uri).join(', ')}`);
    },
  );
  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'MRTR: asks for a confirmation with requestState, and checks the state on retry' },
    async (ctx) => {
      /** @type {{ kind?: string } | undefined} */
      const state = ctx.mcpReq.requestState();
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (state?.kind === 'request-state' && answer.kind === 'elicit' && answer.content?.ok === true) {
        return text('state-ok: requestState validated');
      }
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Please confirm',
            requestedSchema: objectSchema({ ok: { type: 'boolean' } }, ['ok']),
          }),
        },
        requestState: await stateCodec.mint({ kind: 'request-state', nonce: randomUUID() }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'MRTR: asks for an elicitation, a sampling and the roots at once' },
    async (ctx) => {
      /** @type {{ kind?: string } | undefined} */
      const state = ctx.mcpReq.requestState();
      const responses = ctx.mcpReq.inputResponses;
      const name = inputResponse(responses, 'user_name');
      const greeting = inputResponse(responses, 'greeting');
      const roots = inputResponse(responses, 'client_roots');
      if (
        state?.kind === 'multiple-inputs' &&
        name.kind === 'elicit' &&
        greeting.kind === 'sampling' &&
        roots.kind === 'roots'
      ) {
        const greetingText = /** @type {any} */ (greeting.result).content?.text ?? 'Hello there!';
        return text(
          `Name: ${field(name.content, 'name')}; Greeting: ${greetingText}; Roots: ${roots.roots.length}`,
        );
      }
      return inputRequired({
        inputRequests: {
          user_name: nameForm(),
          greeting: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
            maxTokens: 50,
          }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await stateCodec.mint({ kind: 'multiple-inputs', nonce: randomUUID() }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'MRTR: two rounds of elicitation, the state evolving between them' },
    async (ctx) => {
      /** @type {{ round?: number, name?: string } | undefined} */
      const state = ctx.mcpReq.requestState();
      const responses = ctx.mcpReq.inputResponses;
      const step1 = inputResponse(responses, 'step1');
      const step2 = inputResponse(responses, 'step2');
      if (state?.round === 2 && step2.kind === 'elicit') {
        return text(
          `Multi-round complete for ${state.name ?? 'friend'} who likes ${field(step2.content, 'color')}`,
        );
      }
      if (state?.round === 1 && step1.kind === 'elicit') {
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: objectSchema({ color: { type: 'string' } }, ['color']),
            }),
          },
          requestState: await stateCodec.mint({
            round: 2,
            name: field(step1.content, 'name'),
            nonce: randomUUID(),
          }),
        });
      }
      return inputRequired({
        inputRequests: {
          step1: inputRequired.elicit({
            message: 'Step 1: What is your name?',
            requestedSchema: objectSchema({ name: { type: 'string' } }, ['name']),
          }),
        },
        requestState: await stateCodec.mint({ round: 1, nonce: randomUUID() }),
      });
    },
  );
  // The signature check itself is the server's `requestState.verify` hook (every tool's state is
  // signed): a tampered state is refused with -32602 before this handler runs.
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'MRTR: signed requestState; a tampered one is refused' },
    async (ctx) => {
      /** @type {{ kind?: string } | undefined} */
      const state = ctx.mcpReq.requestState();
      if (
        state?.kind === 'tamper-test' &&
        inputResponse(ctx.mcpReq.inputResponses, 'confirm').kind === 'elicit'
      ) {
        return text('integrity-ok: state verified');
      }
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Please confirm',
            requestedSchema: objectSchema({ ok: { type: 'boolean' } }, ['ok']),
          }),
        },
        requestState: await stateCodec.mint({ kind: 'tamper-test', nonce: randomUUID() }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'MRTR: asks only for what the client declared it can do' },
    async (ctx) => {
      const responses = ctx.mcpReq.inputResponses ?? {};
      if (Object.keys(responses).length > 0) {
        return text(`capabilities-ok: received ${Object.keys(responses).join(',')}`);
      }
      const capabilities = clientCapabilities(ctx);
      /** @type {import('@modelcontextprotocol/server').InputRequests} */
      const inputRequests = {};
      if (capabilities.elicitation) {
        inputRequests.elicit_input = inputRequired.elicit({
          message: 'Elicitation input',
          requestedSchema: objectSchema({ value: { type: 'string' } }, ['value']),
        });
      }
      if (capabilities.sampling) {
        inputRequests.sample_input = inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Sample request' } }],
          maxTokens: 50,
        });
      }
      if (Object.keys(inputRequests).length === 0) return text('No supported capabilities declared');
      return inputRequired({ inputRequests });
    },
  );
  server.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'MRTR: a prompt that first asks for context (elicitation)' },
    async (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'user_context');
      if (answer.kind !== 'elicit' || answer.action !== 'accept') {
        return inputRequired({
          inputRequests: {
            user_context: inputRequired.elicit({
              message: 'What context should the prompt use?',
              requestedSchema: objectSchema({ context: { type: 'string' } }, ['context']),
            }),
          },
        });
      }
      return {
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `Prompt with context: ${field(answer.content, 'context')}` },
          },
        ],
      };
    },
  );

  // ----- 2026-07-28: stateless serving (SEP-2575) diagnostics -----
  // Needs the client's sampling: it asks for a completion in-band. Toward a client that did not
  // declare sampling, the SDK's multi-round-trip seam answers -32021 (MissingRequiredClientCapability)
  // itself. (An error thrown from a tool handler would become an isError result instead.)
  server.registerTool(
    'test_missing_capability',
    { description: 'Needs the client sampling capability; without it: -32021' },
    async (ctx) => {
      if (inputResponse(ctx.mcpReq.inputResponses, 'sample').kind === 'sampling') return text('Success');
      return inputRequired({
        inputRequests: {
          sample: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Say anything' } }],
            maxTokens: 10,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_streaming_elicitation',
    { description: 'Reports progress, then asks for input in-band (never a request of its own)' },
    async (ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: 50, total: 100 },
        });
      }
      if (inputResponse(ctx.mcpReq.inputResponses, 'confirm').kind === 'elicit')
        return text('Streaming complete');
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Continue?',
            requestedSchema: objectSchema({ ok: { type: 'boolean' } }, ['ok']),
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_logging_tool',
    { description: 'Logs one message (only where the request asked for a log level)' },
    async (ctx) => {
      await ctx.mcpReq.log('info', 'Diagnostic trace logging activated', 'berth-conformance-fixture');
      return text('Logging evaluated');
    },
  );
  // SEP-2243: a parameter mirrored into an `Mcp-Param-Region` HTTP header, which an HTTP server checks
  // against the body (http-custom-header-server-validation).
  server.registerTool(
    'test_custom_header',
    {
      description: 'Echoes its region, which clients also send as the Mcp-Param-Region header',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { region: { type: 'string', description: 'A region name', 'x-mcp-header': 'Region' } },
        required: ['region'],
      }),
    },
    async (args) => text(`region: ${/** @type {{ region: string }} */ (args).region}`),
  );
  server.registerTool(
    'test_trigger_tool_change',
    { description: 'Announces a tool list change' },
    async () => {
      listChanged('tools');
      return text('Mutation triggered');
    },
  );
  server.registerTool(
    'test_trigger_prompt_change',
    { description: 'Announces a prompt list change' },
    async () => {
      listChanged('prompts');
      return text('Mutation triggered');
    },
  );

  // ----- resources -----
  server.registerResource(
    'static-text',
    'test://static-text',
    {
      title: 'Static Text Resource',
      description: 'A static text resource for testing',
      mimeType: 'text/plain',
    },
    async () => ({
      contents: [
        {
          uri: 'test://static-text',
          mimeType: 'text/plain',
          text: 'This is the content of the static text resource.',
        },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    {
      title: 'Static Binary Resource',
      description: 'A static binary resource (image) for testing',
      mimeType: 'image/png',
    },
    async () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG }] }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => ['1', '2', '3', '123'].filter((id) => id.startsWith(value)) },
    }),
    {
      title: 'Resource Template',
      description: 'A resource template with parameter substitution',
      mimeType: 'application/json',
    },
    async (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { title: 'Watched Resource', description: 'A resource clients can subscribe to', mimeType: 'text/plain' },
    async () => ({
      contents: [
        { uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content' },
      ],
    }),
  );
  // 2025 era: resources/subscribe and unsubscribe (2026-07-28 subscribes with subscriptions/listen).
  /** @type {Set<string>} */
  const subscriptions = new Set();
  server.server.setRequestHandler('resources/subscribe', async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  // ----- prompts -----
  server.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple Test Prompt', description: 'A simple prompt without arguments' },
    async () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt With Arguments',
      description: 'A prompt with required arguments',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ['paris', 'park', 'party', 'test', 'testing'].filter((word) => word.startsWith(value)),
        ),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    async ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt With Embedded Resource',
      description: 'A prompt that includes an embedded resource',
      argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
    },
    async ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt With Image', description: 'A prompt that includes image content' },
    async () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );

  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // conformance/server.mjs checks that no fixture process outlives berth serve.
  if (process.env.FIXTURE_PID_FILE) appendFileSync(process.env.FIXTURE_PID_FILE, `${process.pid}\n`);
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  const handle = serveStdio(() => createFixtureServer(), {
    onerror: (error) => process.stderr.write(`berth-conformance-fixture: ${error.message}\n`),
  });
  // A stdio server ends when its client closes stdin.
  process.stdin.on('end', () => void handle.close());
}
