/**
 * The tool-call request, without the SDK's per-call result probe. `Client.callTool` sends through
 * `request()` with no result schema, and the SDK then probes its era registry for one by validating
 * `undefined` against it: a zod parse that fails and formats its error on every call, about a fifth of
 * a call's client CPU on a thin server (docs/benchmarks.md, "Per call, second round"). `request()`
 * with an explicit result schema skips that probe, so on a 2025-era connection, where `callTool`
 * does nothing else (no `Mcp-Param-*` header mirroring, which is a 2026-era feature), berth sends
 * `tools/call` itself and keeps the rest of what `callTool` does: the output-schema check of the
 * tool's definition, with the same errors.
 *
 * The explicit schema is the SDK's public `specTypeSchemas.CallToolResult` plus the two rules the
 * 2025 wire schema adds to it (a result without `content` must not carry another result family's
 * keys; `structuredContent` is an object). test/session/call-tool.test.ts holds both paths to the
 * same verdict and value on a corpus of results, so a change in the SDK shows up there.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  specTypeSchemas,
  type CallToolResult,
  type Client,
  type JsonSchemaValidator,
  type StandardSchemaV1,
  type Tool,
} from '@modelcontextprotocol/client';
import { jsonSchemaValidator } from '../util/json-schema.js';

/** `Client.callTool`'s parameters. */
type CallToolParams = Parameters<Client['callTool']>[0];
/** `Client.callTool`'s options (`toolDefinition` among them). */
type CallToolOptions = NonNullable<Parameters<Client['callTool']>[1]>;

/** Keys of other result families that a `content`-less body must not carry (as the 2025 wire schema says). */
const FOREIGN_FAMILY_KEYS = ['task', 'inputRequests', 'requestState'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `tools/call` result schema of the 2025 era, as a Standard Schema (see the module comment). */
const CALL_TOOL_RESULT: StandardSchemaV1<unknown, CallToolResult> = {
  '~standard': {
    version: 1,
    vendor: 'berth',
    validate(value) {
      if (isRecord(value)) {
        if (value.content === undefined) {
          const foreign = FOREIGN_FAMILY_KEYS.find((key) => key in value);
          if (foreign) {
            return {
              issues: [{ message: `content is required when the body carries '${foreign}'` }],
            };
          }
        }
        if (value.structuredContent !== undefined && !isRecord(value.structuredContent)) {
          return {
            issues: [{ message: 'structuredContent: expected an object', path: ['structuredContent'] }],
          };
        }
      }
      return specTypeSchemas.CallToolResult['~standard'].validate(value);
    },
  },
};

/** Compiled output-schema checks, by schema object (a tool definition keeps its schema object). */
const outputChecks = new WeakMap<object, JsonSchemaValidator<unknown>>();

function outputCheck(tool: Tool): JsonSchemaValidator<unknown> | undefined {
  const schema = tool.outputSchema;
  if (!schema) return undefined;
  let check = outputChecks.get(schema);
  if (!check) {
    try {
      check = jsonSchemaValidator.getValidator(schema);
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 200);
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Tool '${tool.name}' has an invalid outputSchema: ${message}`,
      );
    }
    outputChecks.set(schema, check);
  }
  return check;
}

/**
 * Calls a tool on `client` as `client.callTool(params, options)` does, without its per-call probe
 * where that is the same call (a 2025-era connection and a known tool definition); otherwise it is
 * `client.callTool` itself.
 */
export async function callTool(
  client: Client,
  params: CallToolParams,
  options?: CallToolOptions,
): ReturnType<Client['callTool']> {
  const tool = options?.toolDefinition;
  if (!tool || client.getProtocolEra() !== 'legacy') return client.callTool(params, options);
  const check = outputCheck(tool);
  const { toolDefinition: _definition, ...sendOptions } = options;
  const result = await client.request({ method: 'tools/call', params }, CALL_TOOL_RESULT, sendOptions);
  if (check && !result.isError) {
    if (result.structuredContent === undefined) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `Tool ${params.name} has an output schema but did not return structured content`,
      );
    }
    const verdict = check(result.structuredContent);
    if (!verdict.valid) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Structured content does not match the tool's output schema: ${verdict.errorMessage}`,
      );
    }
  }
  return result;
}
