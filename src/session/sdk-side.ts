/**
 * The part of a session that runs on the MCP SDK client: opening a connection, a connection's request
 * handle, and telling the SDK's errors apart. The owner loads this module with the first session it
 * opens (see `loadSdkSide` in `./owner.ts`), so a host that opens none (every server `lazy`, its
 * catalog served from the start cache, as `berth tools` does) never loads the SDK, Ajv or their schemas.
 */
import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';

export { isUnauthorized, openConnection, takePendingAuthorization } from './connection.js';
export { sessionHandle } from './handle.js';

/** An HTTP 404 on a request: the remote server has forgotten this session (it restarted, or expired it). */
export function isExpiredSession(error: unknown): boolean {
  return error instanceof SdkHttpError && error.status === 404;
}

/** The SDK gave up waiting for the answer to a request (its timeout, which berth sets from the deadline). */
export function isRequestTimeout(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout;
}
