/**
 * The response shape check (`responseProblem`): what it reports for each way a response can break
 * JSON-RPC 2.0, and what it leaves alone (valid responses, requests, notifications, responses with
 * no usable id). The transport around it is tested against a real server in process-transport.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  invalidRequestError,
  invalidResponseError,
  requestProblem,
  responseProblem,
} from '../../src/transport/responses.js';

describe('responseProblem', () => {
  it('accepts valid result and error responses, and ignores requests, notifications and unusable ids', () => {
    expect(responseProblem({ jsonrpc: '2.0', id: 1, result: {} })).toBeUndefined();
    expect(responseProblem({ jsonrpc: '2.0', id: 'a', result: { _meta: {}, x: 1 } })).toBeUndefined();
    expect(
      responseProblem({ jsonrpc: '2.0', id: 2, error: { code: -1, message: 'no', data: 5 } }),
    ).toBeUndefined();
    expect(responseProblem({ jsonrpc: '1.0', id: 1, method: 'ping' })).toBeUndefined();
    expect(responseProblem({ jsonrpc: '2.0', method: 'notifications/x' })).toBeUndefined();
    expect(responseProblem({ jsonrpc: '2.0', id: null, error: { code: 1, message: 'x' } })).toBeUndefined();
    expect(responseProblem({ jsonrpc: '2.0', id: 1.5, result: 3 })).toBeUndefined();
    expect(responseProblem([1, 2])).toBeUndefined();
  });

  it('names each violation', () => {
    const base = { jsonrpc: '2.0', id: 7 };
    expect(responseProblem({ ...base, result: {}, error: { code: 1, message: 'x' } })).toBe(
      'both result and error',
    );
    expect(responseProblem(base)).toBe('neither result nor error');
    expect(responseProblem({ ...base, jsonrpc: 2, result: {} })).toBe('jsonrpc is a number, not "2.0"');
    expect(responseProblem({ id: 7, result: {} })).toBe('jsonrpc is missing, not "2.0"');
    expect(responseProblem({ ...base, result: null })).toBe('result is null, not an object');
    expect(responseProblem({ ...base, result: [] })).toBe('result is an array, not an object');
    expect(responseProblem({ ...base, result: { _meta: 'x' } })).toBe(
      'result._meta is a string, not an object',
    );
    expect(responseProblem({ ...base, error: 'bad' })).toBe('error is a string, not an object');
    expect(responseProblem({ ...base, error: { code: 1.5, message: 'x' } })).toBe(
      'error.code is a number, not an integer',
    );
    expect(responseProblem({ ...base, error: { code: 1 } })).toBe('error.message is missing, not a string');
    expect(responseProblem({ ...base, result: {}, session: 'x' })).toBe('unexpected member "session"');
  });

  it('makes an error response for the same id that names the server', () => {
    expect(invalidResponseError('s', { id: 'x' }, 'both result and error')).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      error: {
        code: -32603,
        message: 'server "s" sent an invalid response: both result and error',
        data: { berthInvalidResponse: 'both result and error' },
      },
    });
  });
});

describe('requestProblem', () => {
  it('accepts valid requests and ignores responses, notifications and unusable ids', () => {
    expect(requestProblem({ jsonrpc: '2.0', id: 1, method: 'roots/list' })).toBeUndefined();
    expect(requestProblem({ jsonrpc: '2.0', id: 'a', method: 'x', params: { _meta: {} } })).toBeUndefined();
    expect(requestProblem({ jsonrpc: '2.0', id: 1, result: {} })).toBeUndefined();
    expect(requestProblem({ jsonrpc: '2.0', method: 'notifications/x', extra: 1 })).toBeUndefined();
    expect(requestProblem({ jsonrpc: '2.0', id: null, method: 'x', extra: 1 })).toBeUndefined();
  });

  it('names each violation, and answers with Invalid Request for the same id', () => {
    const base = { jsonrpc: '2.0', id: 3, method: 'roots/list' };
    expect(requestProblem({ ...base, jsonrpc: '1.0' })).toBe('jsonrpc is "1.0", not "2.0"');
    expect(requestProblem({ ...base, method: 42 })).toBe('method is a number, not a string');
    expect(requestProblem({ ...base, params: [] })).toBe('params is an array, not an object');
    expect(requestProblem({ ...base, params: { _meta: 1 } })).toBe('params._meta is a number, not an object');
    expect(requestProblem({ ...base, extra: true })).toBe('unexpected member "extra"');
    expect(invalidRequestError(base, 'unexpected member "extra"')).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32600, message: 'Invalid Request: unexpected member "extra"' },
    });
  });
});
