/**
 * Forwarding a client's request to the replica that owns its session, over the owner's own MCP
 * endpoint, marked with a route header that only holders of the cluster secret can make: an HMAC
 * over the method, the path, the session key, the time and the body's digest. The owner serves a
 * marked request itself and never forwards it again (one hop at most); an unmarked or badly marked
 * one is refused. The client's own credentials travel with it: the owner checks them as any request's
 * (replicas of one gateway share one auth config), and neither replica passes them upstream.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The header that marks a request forwarded by another replica. */
export const ROUTE_HEADER = 'berth-cluster-route';
/** How far a route header's time may be from the owner's (clock skew and transit), in ms. */
const MAX_SKEW_MS = 30_000;
/** Headers that belong to one hop, never forwarded. */
const HOP_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade'];

function digest(secret: string, method: string, path: string, key: string, time: string, body: string) {
  const bodyHash = createHash('sha256').update(body).digest('base64url');
  return createHmac('sha256', secret)
    .update([method, path, key, time, bodyHash].join('\n'))
    .digest('base64url');
}

/** The route header value for a request (`<time>.<key as base64url>.<mac>`). */
export function signRoute(
  secret: string,
  request: { method: string; path: string; body: string },
  key: string,
) {
  const time = String(Date.now());
  const mac = digest(secret, request.method, request.path, key, time, request.body);
  return `${time}.${Buffer.from(key).toString('base64url')}.${mac}`;
}

/**
 * The session key a route header vouches for, or undefined when it is not one this cluster's secret
 * made for this very request (another method, path or body, or too old).
 */
export function verifyRoute(
  secret: string,
  header: string,
  request: { method: string; path: string; body: string },
  now = Date.now(),
): string | undefined {
  const parts = header.split('.');
  if (parts.length !== 3) return undefined;
  const [time = '', encodedKey = '', mac = ''] = parts;
  if (!/^\d{1,16}$/.test(time) || Math.abs(now - Number(time)) > MAX_SKEW_MS) return undefined;
  const key = Buffer.from(encodedKey, 'base64url').toString();
  const expected = Buffer.from(digest(secret, request.method, request.path, key, time, request.body));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected) ? key : undefined;
}

/**
 * Sends `request` (whose body was read as `body`) to the owner at `ownerUrl`, marked for `key`, and
 * returns the owner's answer as it streams (an SSE answer stays a stream). Rejects when the owner
 * cannot be reached, or when `ownerGone` aborts before the answer starts (the owner stopped holding
 * the session: dead or hung, its lease ran out). A call may take as long as it takes while its owner
 * lives; the answer's body then runs as long as the client keeps it.
 */
export async function forwardTo(
  ownerUrl: string,
  request: Request,
  body: string | undefined,
  key: string,
  secret: string,
  ownerGone: AbortSignal,
): Promise<Response> {
  const url = new URL(request.url);
  const target = new URL(ownerUrl);
  target.search = url.search;
  const headers = new Headers(request.headers);
  for (const name of HOP_HEADERS) headers.delete(name);
  // A connection of its own, closed after the answer (what nginx does upstream by default), so that
  // no idle connection to an owner is ever kept for reuse: a kept one that the owner closes, idle past
  // its keep-alive timeout, just as a late timer here picks it for a request fails that request before
  // the owner reads it, and this replica could not tell it from an owner dying mid-call.
  headers.set('connection', 'close');
  headers.set(
    ROUTE_HEADER,
    signRoute(secret, { method: request.method, path: target.pathname, body: body ?? '' }, key),
  );
  const answer = await fetch(target, {
    method: request.method,
    headers,
    ...(body !== undefined && { body }),
    signal: AbortSignal.any([request.signal, ownerGone]),
    redirect: 'manual',
  });
  const out = new Headers(answer.headers);
  for (const name of HOP_HEADERS) out.delete(name);
  return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: out });
}
