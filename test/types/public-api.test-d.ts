/**
 * Type tests of berth's public API, checked by `npm run typecheck` (tsc), not run by vitest: what a
 * user writes against `berth` must keep compiling, and what it must refuse must keep failing.
 */
import type { CallToolResult, CompleteResult } from '@modelcontextprotocol/client';
import { expectTypeOf } from 'vitest';
import {
  BerthError,
  createHost,
  ServerError,
  ToolsetClosedError,
  type BerthErrorCode,
  type CallOptions,
  type Host,
  type HostEvent,
  type ServerState,
  type ServerStatus,
  type Toolset,
} from '../../src/index.js';

declare const host: Host;

expectTypeOf(createHost).parameter(0).toEqualTypeOf<string | Record<string, unknown>>();
expectTypeOf(createHost).returns.toEqualTypeOf<Promise<Host>>();
expectTypeOf(host.callTool('a__b')).toEqualTypeOf<Promise<CallToolResult>>();
expectTypeOf(host.complete({ type: 'ref/prompt', name: 'p' }, { name: 'a', value: 'v' })).toEqualTypeOf<
  Promise<CompleteResult>
>();
expectTypeOf(host.status()).toEqualTypeOf<ServerStatus[]>();
expectTypeOf<ServerStatus['state']>().toEqualTypeOf<ServerState>();
expectTypeOf(host.toolset({ key: 'k' })).toEqualTypeOf<Toolset>();
expectTypeOf(host).toMatchTypeOf<AsyncDisposable>();
expectTypeOf<CallOptions['timeoutMs']>().toEqualTypeOf<number | undefined>();
expectTypeOf<CallOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();

// Errors: a string code to branch on, and their own context fields.
expectTypeOf<BerthError['code']>().toEqualTypeOf<BerthErrorCode>();
expectTypeOf<ServerError['server']>().toEqualTypeOf<string>();
expectTypeOf<ToolsetClosedError['key']>().toEqualTypeOf<string>();
expectTypeOf<'HOST_CLOSED'>().toMatchTypeOf<BerthErrorCode>();

// Events are a discriminated union.
declare const event: HostEvent;
if (event.type === 'server:state') {
  expectTypeOf(event.state).toEqualTypeOf<ServerState>();
  expectTypeOf(event.previous).toEqualTypeOf<ServerState>();
}
if (event.type === 'session:closed') expectTypeOf(event.reason).toEqualTypeOf<string>();

// What must not compile.
// @ts-expect-error a tool name is a string
void host.callTool(42);
// @ts-expect-error arguments are an object
void host.callTool('a__b', 'by=1');
// @ts-expect-error a toolset needs a key
void host.toolset({});
// @ts-expect-error the completion's arguments are strings
void host.complete({ type: 'ref/prompt', name: 'p' }, { name: 'a', value: 'v' }, { arguments: { n: 1 } });
// @ts-expect-error an unknown error code
expectTypeOf<'NOT_A_CODE'>().toMatchTypeOf<BerthErrorCode>();
