/**
 * The Node side of `serve()` for the MCP endpoint: one web `Request` per HTTP request (its headers,
 * no body), admitted once before its body is read, the body read within the size limit, and the
 * answer written back (a JSON answer in one write, a stream chunk by chunk with backpressure). It
 * owns each exchange's abort signal: the client going away aborts it, as it aborts the call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { plainBodyOf, STREAM_OPENED, type HttpHandler, type ReadBody } from './http.js';

/** Serves one Node request of the MCP endpoint through `http`. */
export async function serveEndpoint(
  http: HttpHandler,
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  res.once('close', () => {
    if (!finished) abort.abort();
  });
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers: headersOf(req),
    signal: abort.signal,
  });
  const principal = await http.principalOf(request);
  if (principal instanceof Response) {
    // With a body left unread, the connection cannot carry another request: close it.
    await write(res, principal, abort.signal, hasBody(req));
    finished = true;
    return;
  }
  const body = req.method === 'POST' ? await readBody(req, maxBodyBytes) : undefined;
  const response = await http.serveAdmitted(request, principal, body);
  await write(res, response, abort.signal, body?.tooLarge === true, req.method === 'GET');
  finished = true;
}

/** Whether a request announces a body. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
}

/** A Node request's headers as web `Headers` (HTTP/2 pseudo-headers left out). */
export function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return headers;
}

/** The body as text, or `tooLarge` as soon as more than `maxBytes` has arrived (the rest unread). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<ReadBody> {
  if (Number(req.headers['content-length']) > maxBytes) return { tooLarge: true };
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.byteLength;
    if (received > maxBytes) return { tooLarge: true };
    chunks.push(chunk);
  }
  return { tooLarge: false, text: Buffer.concat(chunks, received).toString('utf8') };
}

/**
 * Writes `response` to `res`: a plain body at once, a stream until it ends or the client leaves;
 * `opening` a GET's event stream, with the comment that sends its headers at once.
 */
async function write(
  res: ServerResponse,
  response: Response,
  aborted: AbortSignal,
  closeAfter: boolean,
  opening = false,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (closeAfter) headers.connection = 'close';
  res.writeHead(response.status, headers);
  const plain = plainBodyOf(response);
  if (plain !== undefined || !response.body) {
    res.end(plain);
    return;
  }
  // A GET stream opens with a comment, so that its headers go out now, not with its first event.
  if (opening && response.headers.get('content-type')?.startsWith('text/event-stream'))
    res.write(STREAM_OPENED);
  let drained: (() => void) | undefined;
  const wake = () => drained?.();
  res.on('drain', wake);
  aborted.addEventListener('abort', wake, { once: true });
  try {
    for await (const chunk of response.body) {
      if (aborted.aborted) break;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          if (aborted.aborted) resolve();
        });
      }
    }
  } catch {
    // The stream failed or was cancelled: end what was sent.
  } finally {
    res.off('drain', wake);
    aborted.removeEventListener('abort', wake);
    res.end();
  }
}
