/**
 * The shape checks for what a server sends that something waits on. Responses: the shape check for
 * responses a server sends. The SDK's `Protocol` drops a response that fails its
 * JSON-RPC schemas (it only reports it to `onerror`), so the request it answers would wait out its
 * whole deadline. The transport checks each response against the same rules first, cheaply and without
 * re-implementing the protocol, and turns a broken one into an error response for the same id: the
 * SDK then rejects that request at once with a message naming the server and the violation.
 * Requests from the server: the SDK drops a malformed one too, and the server would wait for an answer
 * forever; the transport answers it with a JSON-RPC Invalid Request error instead (`requestProblem`).
 */
import type { JSONRPCErrorResponse, JSONRPCMessage } from '@modelcontextprotocol/client';
import { jsonKind } from '../util/json.js';

/** The JSON-RPC error code of a synthesized answer to a broken response (Internal error). */
const INVALID_RESPONSE_CODE = -32603;
/** The members a JSON-RPC 2.0 request may have. */
const REQUEST_MEMBERS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'method', 'params']);
/** The JSON-RPC error code for a malformed request. */
const INVALID_REQUEST_CODE = -32600;

/** The `data` key that marks an error response as berth's stand-in for a broken response. */
const INVALID_RESPONSE = 'berthInvalidResponse';
/** The members a JSON-RPC 2.0 response may have; the SDK's schemas reject any other. */
const RESPONSE_MEMBERS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'result', 'error']);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a string`, `an object`, `missing`: how a message names the type of a value. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const kind = jsonKind(value);
  return kind === 'null' ? 'null' : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** True for an id the SDK could have given a request: a string or an integer. */
function isRequestId(value: unknown): value is string | number {
  return typeof value === 'string' || Number.isInteger(value);
}

/**
 * What is wrong with `message` as a response to a request, or undefined if it is fine or is not a
 * response at all (a request or a notification: it has a `method`; or it has no usable id, so no
 * request can be failed for it).
 */
export function responseProblem(message: unknown): string | undefined {
  if (!isObject(message) || 'method' in message || !isRequestId(message.id)) return undefined;
  if (message.jsonrpc !== '2.0') {
    const version = typeof message.jsonrpc === 'string' ? `"${message.jsonrpc}"` : describe(message.jsonrpc);
    return `jsonrpc is ${version}, not "2.0"`;
  }
  const hasResult = 'result' in message;
  const hasError = 'error' in message;
  if (hasResult && hasError) return 'both result and error';
  if (!hasResult && !hasError) return 'neither result nor error';
  if (hasResult) {
    const { result } = message;
    if (!isObject(result)) return `result is ${describe(result)}, not an object`;
    if (result._meta !== undefined && !isObject(result._meta)) {
      return `result._meta is ${describe(result._meta)}, not an object`;
    }
  } else {
    const { error } = message;
    if (!isObject(error)) return `error is ${describe(error)}, not an object`;
    if (!Number.isInteger(error.code)) return `error.code is ${describe(error.code)}, not an integer`;
    if (typeof error.message !== 'string') return `error.message is ${describe(error.message)}, not a string`;
  }
  for (const key in message) if (!RESPONSE_MEMBERS.has(key)) return `unexpected member "${key}"`;
  return undefined;
}

/**
 * The error response that stands in for a broken response: same id, a message naming the server and
 * what was wrong. `message` must be one `responseProblem` found a problem with.
 */
export function invalidResponseError(server: string, message: unknown, problem: string): JSONRPCMessage {
  const answer: JSONRPCErrorResponse = {
    jsonrpc: '2.0',
    id: (message as { id: string | number }).id,
    error: {
      code: INVALID_RESPONSE_CODE,
      message: `server "${server}" sent an invalid response: ${problem}`,
      data: { [INVALID_RESPONSE]: problem },
    },
  };
  return answer;
}

/**
 * The problem behind an error (the SDK's `ProtocolError`, carrying the stand-in's `data`) that a broken
 * response caused, or undefined for any other error.
 */
export function invalidResponseProblem(error: unknown): string | undefined {
  const data = (error as { data?: unknown } | null)?.data;
  const problem = isObject(data) ? data[INVALID_RESPONSE] : undefined;
  return typeof problem === 'string' ? problem : undefined;
}

/**
 * What is wrong with `message` as a request from the server, or undefined if it is fine or is not a
 * request with an id an answer could carry.
 */
export function requestProblem(message: unknown): string | undefined {
  if (!isObject(message) || !('method' in message) || !isRequestId(message.id)) return undefined;
  if (message.jsonrpc !== '2.0') {
    const version = typeof message.jsonrpc === 'string' ? `"${message.jsonrpc}"` : describe(message.jsonrpc);
    return `jsonrpc is ${version}, not "2.0"`;
  }
  if (typeof message.method !== 'string') return `method is ${describe(message.method)}, not a string`;
  const { params } = message;
  if (params !== undefined) {
    if (!isObject(params)) return `params is ${describe(params)}, not an object`;
    if (params._meta !== undefined && !isObject(params._meta)) {
      return `params._meta is ${describe(params._meta)}, not an object`;
    }
  }
  for (const key in message) if (!REQUEST_MEMBERS.has(key)) return `unexpected member "${key}"`;
  return undefined;
}

/** The Invalid Request error that answers a malformed request from the server. */
export function invalidRequestError(message: unknown, problem: string): JSONRPCMessage {
  const answer: JSONRPCErrorResponse = {
    jsonrpc: '2.0',
    id: (message as { id: string | number }).id,
    error: { code: INVALID_REQUEST_CODE, message: `Invalid Request: ${problem}` },
  };
  return answer;
}
