/**
 * The gateway's live status page (`gateway.status`, `berth serve --status`): its routes under
 * `/status` and the one owner of what they need: the recent-calls ring, the SSE streams, the
 * sign-in cookies, the redactor, and its subscriptions to the host's events and the gateway's calls.
 *
 *   GET  /status          the page (HTML); without credentials, a sign-in page with 401
 *   GET  /status.json     the same state as JSON (for scripts: send the bearer header)
 *   GET  /status/events   server-sent events: `snapshot` (the whole state) on every change
 *   POST /status/session  a bearer-authenticated request sets a short-lived signed cookie
 *   DELETE /status/session  removes it
 *
 * Every request passes the endpoint's Host and Origin checks and its authentication (bearer tokens
 * or OAuth, or the cookie that one of them earned); `gateway.status.principals` narrows who may
 * look. Responses are never cached or framed; the HTML carries a strict nonce-based CSP.
 */
import { randomBytes } from 'node:crypto';
import { hostHeaderValidationResponse, originValidationResponse } from '@modelcontextprotocol/server';
import type { Authenticator, Principal } from '../auth.js';
import type { Gateway } from '../gateway.js';
import { VERSION } from '../../util/version.js';
import { CallLog } from './calls.js';
import { cameOverHttps, STATUS_SESSION_MS, StatusCookies } from './cookie.js';
import { signInHtml, statusHtml } from './page.js';
import { Redactor } from './redact.js';
import { buildSnapshot, ClientLabels } from './snapshot.js';
import { StatusStreams, type StreamOptions } from './streams.js';

export { configSecrets, Redactor, REDACTED } from './redact.js';
export type { StatusSnapshot } from './snapshot.js';

/** The status page's options in code (the config only turns it on and names who may see it). */
export interface StatusOptions extends Partial<StreamOptions> {
  /**
   * Secret values to redact from everything the page shows (stderr, errors): `berth serve` passes
   * the config's env values, remote headers and credentials. The gateway's own tokens are always
   * added. Called whenever a snapshot is built, so it may grow (after a reload).
   */
  secrets?: () => Iterable<string>;
  /** How many recent calls to keep (default 100). */
  recentCalls?: number;
}

/** The page's base path. */
export const STATUS_PATH = '/status';

/** What the HTTP face needs of the status page. */
export interface StatusPage {
  /** Whether a request is for the status page. */
  handles(url: URL): boolean;
  /** The refusal its headers alone decide (Host, Origin, auth), or undefined. */
  admit(request: Request): Promise<Response | undefined>;
  /** Serves a request for the status page. */
  fetch(request: Request): Promise<Response>;
  /** Ends every stream and releases every subscription and timer. */
  close(): void;
}

/** What the page needs from the gateway it belongs to. */
export interface StatusContext {
  gateway: Gateway;
  authenticator: Authenticator;
  allowedHosts: string[];
  allowedOrigins: string[];
}

/** Headers of every status response. */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** Builds a gateway's status page. Subscribes to the host and the gateway until `close()`. */
export function createStatusPage(context: StatusContext, options: StatusOptions = {}): StatusPage {
  const { gateway, authenticator } = context;
  const { spec, host } = gateway;
  const calls = new CallLog(options.recentCalls ?? 100);
  const cookies = new StatusCookies();
  const labels = new ClientLabels(randomBytes(32));
  const redactor = new Redactor();
  const ownTokens = spec.auth?.type === 'tokens' ? Object.values(spec.auth.tokens) : [];
  const snapshot = () => {
    redactor.update([...ownTokens, ...(options.secrets?.() ?? [])]);
    return buildSnapshot({
      rows: host.status(),
      calls: calls.list(),
      labels,
      redactor,
      gateway: {
        version: VERSION,
        clientSessions: gateway.conversations.size,
        statusStreams: streams.size,
      },
    });
  };
  const streams: StatusStreams = new StatusStreams(() => JSON.stringify(snapshot()), options);
  const stopHost = host.on(() => streams.changed());
  const stopCalls = gateway.onCall((call) => {
    calls.push(call);
    streams.changed();
  });
  let closed = false;

  const handles = (url: URL) =>
    url.pathname === STATUS_PATH ||
    url.pathname === `${STATUS_PATH}.json` ||
    url.pathname.startsWith(`${STATUS_PATH}/`);

  /** Who is asking (bearer header, else the cookie), or the refusal. */
  async function viewer(
    request: Request,
  ): Promise<{ principal: Principal; expiresAt?: number; via: 'cookie' | 'other' } | Response> {
    const rejected =
      hostHeaderValidationResponse(request, context.allowedHosts) ??
      originValidationResponse(request, context.allowedOrigins);
    if (rejected) return withHeaders(rejected);
    if (closed) return text(503, 'berth gateway: shutting down', { 'retry-after': '5' });
    let principal: Principal | Response;
    let expiresAt: number | undefined;
    let via: 'cookie' | 'other' = 'other';
    const session = request.headers.has('authorization')
      ? undefined
      : cookies.verify(request.headers.get('cookie'));
    if (session) {
      principal = { name: session.principal, scopes: [] };
      expiresAt = session.expiresAt;
      via = 'cookie';
    } else {
      principal = await authenticator.authenticate(request);
      if (principal instanceof Response) return withHeaders(principal);
      const exp = principal.authInfo?.expiresAt;
      if (exp !== undefined) expiresAt = exp * 1000;
    }
    const allowed = spec.status.principals;
    if (allowed.length > 0 && !allowed.includes(principal.name))
      return text(403, `berth gateway: principal "${principal.name}" may not see the status page`);
    return { principal, via, ...(expiresAt !== undefined && { expiresAt }) };
  }

  async function serve(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const who = await viewer(request);
    const route = `${request.method} ${url.pathname}`;
    if (who instanceof Response) {
      // A person opening the page gets the sign-in page, with the refusal's status and challenge.
      if (url.pathname === STATUS_PATH && request.method === 'GET' && who.status === 401)
        return html(401, signInHtml, { 'www-authenticate': who.headers.get('www-authenticate') ?? 'Bearer' });
      return who;
    }
    switch (route) {
      case `GET ${STATUS_PATH}`:
        return html(200, (nonce) => statusHtml(nonce, who.via));
      case `GET ${STATUS_PATH}.json`:
        return new Response(streams.current(), {
          headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' },
        });
      case `GET ${STATUS_PATH}/events`: {
        const body = streams.open(request.signal, who.expiresAt);
        if (body === 'closed') return text(503, 'berth gateway: shutting down', { 'retry-after': '5' });
        if (body === 'full')
          return text(503, 'berth gateway: too many status streams are open; close one or retry later', {
            'retry-after': '5',
          });
        return new Response(body, {
          headers: {
            ...COMMON_HEADERS,
            'content-type': 'text/event-stream; charset=utf-8',
            'x-accel-buffering': 'no',
          },
        });
      }
      case `POST ${STATUS_PATH}/session`: {
        if (who.via === 'cookie' || !request.headers.has('authorization'))
          return text(401, 'berth gateway: sign in with an Authorization: Bearer header', {
            'www-authenticate': 'Bearer',
          });
        const expiresAt = Math.min(Date.now() + STATUS_SESSION_MS, who.expiresAt ?? Infinity);
        return new Response(null, {
          status: 204,
          headers: {
            ...COMMON_HEADERS,
            'set-cookie': cookies.issue(
              { principal: who.principal.name, expiresAt },
              { secure: cameOverHttps(request) },
            ),
          },
        });
      }
      case `DELETE ${STATUS_PATH}/session`:
        return new Response(null, {
          status: 204,
          headers: { ...COMMON_HEADERS, 'set-cookie': cookies.clear({ secure: cameOverHttps(request) }) },
        });
      default:
        if (
          [STATUS_PATH, `${STATUS_PATH}.json`, `${STATUS_PATH}/events`, `${STATUS_PATH}/session`].includes(
            url.pathname,
          )
        )
          return text(405, `berth gateway: ${request.method} is not served at ${url.pathname}`);
        return text(404, `Not found: the status page is ${STATUS_PATH}`);
    }
  }

  return {
    handles,
    admit: async (request) => {
      const who = await viewer(request);
      // The page's own 401 (the sign-in page) is built by fetch.
      return who instanceof Response && who.status !== 401 ? who : undefined;
    },
    fetch: async (request) => {
      try {
        return await serve(request);
      } catch (error) {
        return text(
          500,
          `berth gateway: the status page failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      stopHost();
      stopCalls();
      streams.close();
    },
  };
}

/** An HTML response with a fresh nonce in its strict CSP. */
function html(
  status: number,
  page: (nonce: string) => string,
  headers: Record<string, string> = {},
): Response {
  const nonce = randomBytes(16).toString('base64');
  return new Response(page(nonce), {
    status,
    headers: {
      ...COMMON_HEADERS,
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        "img-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    },
  });
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json', ...headers },
  });
}

/** The response with the status page's common headers added. */
function withHeaders(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(COMMON_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
