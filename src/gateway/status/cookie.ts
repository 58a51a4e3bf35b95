/**
 * The status page's browser sessions: a browser cannot send a bearer header on a page load or an
 * `EventSource`, so after one bearer-authenticated `POST /status/session` the gateway sets a
 * short-lived cookie naming the principal and its expiry, signed (HMAC-SHA256) with a key that lives
 * only in this process. The token itself is never stored in the browser nor put in a URL. It owns
 * the key and the cookie's format: `Secure` when the browser reached the gateway over HTTPS (see
 * {@link cameOverHttps}); not on plain HTTP (the default, on loopback), where a browser would drop it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie's name. */
export const STATUS_COOKIE = 'berth_status';

/** How long a status-page sign-in lasts at most. */
export const STATUS_SESSION_MS = 60 * 60_000;

/** A verified status session. */
export interface StatusSession {
  readonly principal: string;
  /** When it ends (ms since epoch). */
  readonly expiresAt: number;
}

/** Issues and verifies status cookies; a new instance (a restarted gateway) invalidates all of them. */
export class StatusCookies {
  readonly #key = randomBytes(32);

  /** The `Set-Cookie` value signing `principal` in until `expiresAt` (`secure`: over HTTPS only). */
  issue(session: StatusSession, { secure = false }: { secure?: boolean } = {}): string {
    const payload = Buffer.from(JSON.stringify([session.principal, session.expiresAt])).toString('base64url');
    const maxAge = Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000));
    return `${STATUS_COOKIE}=${payload}.${this.#sign(payload)}; Path=/; Max-Age=${maxAge}${attributes(secure)}`;
  }

  /** The `Set-Cookie` value that removes the cookie (with the attributes it was set with). */
  clear({ secure = false }: { secure?: boolean } = {}): string {
    return `${STATUS_COOKIE}=; Path=/; Max-Age=0${attributes(secure)}`;
  }

  /** The session of a request's `Cookie` header, if it carries a valid, unexpired one. */
  verify(header: string | null, now = Date.now()): StatusSession | undefined {
    if (!header || header.length > 8192) return undefined;
    for (const part of header.split(';')) {
      const [name, value] = part.trim().split('=', 2) as [string, string | undefined];
      if (name !== STATUS_COOKIE || !value) continue;
      const session = this.#check(value, now);
      if (session) return session;
    }
    return undefined;
  }

  #check(value: string, now: number): StatusSession | undefined {
    const dot = value.indexOf('.');
    if (dot < 1) return undefined;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#sign(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const [principal, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [
        unknown,
        unknown,
      ];
      if (typeof principal !== 'string' || typeof expiresAt !== 'number' || expiresAt <= now)
        return undefined;
      return { principal, expiresAt };
    } catch {
      return undefined;
    }
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

function attributes(secure: boolean): string {
  return `; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * Whether the browser reached the gateway over HTTPS: the request's own URL says so (the fetch
 * handler served over TLS), or a TLS-terminating reverse proxy does, in `X-Forwarded-Proto` or
 * `Forwarded: proto=` (the first, client-facing hop). Trusting these headers is safe here because
 * they can only add `Secure`: a forged one makes the cookie stricter for whoever forged it, never
 * looser for anyone else.
 */
export function cameOverHttps(request: Request): boolean {
  if (new URL(request.url).protocol === 'https:') return true;
  const forwardedProto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwardedProto === 'https') return true;
  const first = request.headers.get('forwarded')?.split(',')[0] ?? '';
  return first.split(';').some((pair) => {
    const [key, value = ''] = pair.split('=', 2).map((part) => part.trim());
    return key?.toLowerCase() === 'proto' && value.replace(/^"|"$/g, '').toLowerCase() === 'https';
  });
}
