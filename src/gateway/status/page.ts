/**
 * The status page's two HTML documents, each self-contained (no external assets): the page itself,
 * which renders the `snapshot` events of `<base>/events` with DOM text nodes only (never HTML from
 * data: server names, errors and stderr are attacker-controlled), and the sign-in page, which sends
 * the token the user types once as a bearer header to `<base>/session` and keeps nothing. Their
 * inline script and style carry the response's CSP nonce.
 */

const STYLE = `
:root { color-scheme: light dark; --bg: #f7f7f8; --card: #fff; --fg: #1d1d1f; --muted: #6b6b76; --line: #e3e3e8;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; }
@media (prefers-color-scheme: dark) { :root { --bg: #101014; --card: #1a1a20; --fg: #e8e8ee; --muted: #9a9aa6;
  --line: #2c2c35; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --info: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 17px; margin: 0 8px 0 0; }
main { padding: 16px 24px 32px; max-width: 1200px; }
h2 { font-size: 15px; margin: 22px 0 10px; }
.muted { color: var(--muted); }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
[data-state="ready"], [data-state="live"], [data-state="ok"] { color: var(--ok); }
[data-state="starting"], [data-state="restarting"], [data-state="reconnecting"], [data-state="tool_error"], [data-state="input_required"], [data-state="unauthorized"] { color: var(--warn); }
[data-state="failed"], [data-state="error"], [data-state="closed"] { color: var(--bad); }
[data-state="stopped"], [data-state="disabled"] { color: var(--muted); }
.servers { display: grid; gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .title { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.card .name { font-weight: 650; font-size: 15px; word-break: break-all; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 4px; color: var(--muted); font-size: 13px; }
.error { margin-top: 8px; padding: 8px 10px; border-left: 3px solid var(--bad); background: color-mix(in srgb, var(--bad) 8%, transparent); white-space: pre-wrap; word-break: break-word; }
pre { margin: 6px 0 0; padding: 8px 10px; max-height: 220px; overflow: auto; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-all; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); font-size: 13px; vertical-align: top; word-break: break-all; }
th { color: var(--muted); font-weight: 600; }
.card table { margin-top: 8px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; color: var(--muted); margin-top: 6px; }
button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
.spacer { flex: 1; }
form { display: flex; gap: 8px; margin-top: 12px; }
input { font: inherit; padding: 6px 10px; min-width: 320px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
`;

const SCRIPT = `
'use strict';
(() => {
  const base = location.pathname.replace(/\\/+$/, '');
  const $ = (id) => document.getElementById(id);
  /** An element with text children only: data never becomes HTML. */
  const h = (tag, props, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'class') node.className = value;
      else if (key === 'state') node.dataset.state = String(value);
      else if (key === 'title') node.title = String(value);
      else if (key === 'open') node.open = Boolean(value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(typeof child === 'object' ? child : String(child));
    }
    return node;
  };
  const time = (iso) => { const d = new Date(iso); return isNaN(d) ? '' : d.toLocaleTimeString(); };
  const setConn = (state, text) => { const c = $('conn'); c.dataset.state = state; c.textContent = text; };
  const openDetails = new Set();

  function server(s) {
    const meta = [
      s.transport + (s.scope ? ' · ' + s.scope : ''),
      s.pid !== undefined ? 'pid ' + s.pid : null,
      s.lazy ? (s.lazy.started ? 'lazy, started' : 'lazy, not started: catalog cached' + (s.lazy.cachedAt ? ' ' + time(s.lazy.cachedAt) : '')) : null,
      s.protocolVersion ? 'protocol ' + s.protocolVersion : null,
      s.tools + ' tools',
      s.restarts + (s.restarts === 1 ? ' restart' : ' restarts'),
      s.waiting ? s.waiting + (s.waiting === 1 ? ' call' : ' calls') + ' waiting for a session' : null,
      s.state + ' since ' + time(s.since),
    ].filter(Boolean);
    const sessions = s.sessions.length
      ? h('table', { class: 'sessions' },
          h('thead', null, h('tr', null, h('th', null, 'client'), h('th', null, 'state'), h('th', null, 'pid'), h('th', null, 'in flight'), h('th', null, 'last used'))),
          h('tbody', null, s.sessions.map((x) => h('tr', null,
            h('td', null, x.client), h('td', null, h('span', { state: x.state }, x.state)),
            h('td', { class: 'num' }, x.pid ?? ''), h('td', { class: 'num' }, x.inFlight), h('td', null, time(x.lastUsed))))))
      : null;
    const err = s.lastError
      ? h('div', { class: 'error' }, h('strong', null, s.lastError.code), s.lastError.phase ? ' (' + s.lastError.phase + ')' : '', ': ', s.lastError.message,
          s.lastError.exitCode !== undefined && s.lastError.exitCode !== null ? ' · exit ' + s.lastError.exitCode : '',
          s.lastError.signal ? ' · ' + s.lastError.signal : '')
      : null;
    const issues = s.configIssues ? h('div', { class: 'error' }, s.configIssues.join('\\n')) : null;
    const key = 'stderr:' + s.name;
    const stderr = s.stderrTail
      ? h('details', { open: openDetails.has(key) }, h('summary', null, 'stderr (last lines)'), h('pre', null, s.stderrTail))
      : null;
    if (stderr) stderr.addEventListener('toggle', () => { if (stderr.open) openDetails.add(key); else openDetails.delete(key); });
    return h('div', { class: 'card server', state: undefined },
      h('div', { class: 'title' }, h('span', { class: 'name' }, s.name), h('span', { class: 'pill state', state: s.state }, s.state)),
      h('div', { class: 'meta' }, meta.map((m) => h('span', null, m))),
      sessions, s.moreSessions ? h('div', { class: 'muted' }, 'and ' + s.moreSessions + ' more sessions') : null,
      err, issues, stderr);
  }

  function render(snap) {
    $('servers').replaceChildren(...(snap.servers.length ? snap.servers.map(server) : [h('p', { class: 'muted' }, 'No servers.')]));
    $('calls').replaceChildren(...snap.calls.map((c) => h('tr', null,
      h('td', null, time(c.at)), h('td', null, c.principal), h('td', null, c.method), h('td', null, c.target), h('td', null, c.server),
      h('td', { class: 'num' }, c.durationMs.toFixed(1) + ' ms'),
      h('td', null, h('span', { state: c.outcome }, c.outcome), c.code ? ' ' + c.code : ''))));
    $('no-calls').hidden = snap.calls.length > 0;
    $('summary').textContent = 'berth ' + snap.gateway.version + ' · ' + snap.servers.length + ' servers · ' +
      snap.gateway.clientSessions + ' client sessions';
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  const events = new EventSource(base + '/events');
  events.addEventListener('snapshot', (e) => { setConn('live', 'live'); render(JSON.parse(e.data)); });
  events.addEventListener('open', () => setConn('live', 'live'));
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) {
      setConn('closed', 'disconnected');
      $('signed-out').hidden = false;
    } else setConn('reconnecting', 'reconnecting…');
  });
  $('reload').addEventListener('click', () => location.reload());
  const out = $('sign-out');
  if (document.body.dataset.session === 'cookie') {
    out.hidden = false;
    out.addEventListener('click', async () => {
      await fetch(base + '/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
      location.reload();
    });
  }
})();
`;

const SIGN_IN_SCRIPT = `
'use strict';
(() => {
  const base = location.pathname.replace(/\\/+$/, '');
  const form = document.getElementById('sign-in');
  const message = document.getElementById('message');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = document.getElementById('token');
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    message.textContent = 'Signing in…';
    try {
      const response = await fetch(base + '/session', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { authorization: 'Bearer ' + token },
      });
      if (response.ok) { location.reload(); return; }
      message.textContent = response.status === 403 ? 'This principal may not see the status page.' : 'The gateway refused this token (' + response.status + ').';
    } catch {
      message.textContent = 'The gateway did not answer.';
    }
  });
})();
`;

/** The status page. `session` says how the viewer signed in (`cookie` shows a sign-out button). */
export function statusHtml(nonce: string, session: 'cookie' | 'other'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>berth gateway status</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-session="${session}">
<header>
  <h1>berth gateway</h1>
  <span id="conn" class="pill" data-state="reconnecting">connecting…</span>
  <span id="summary" class="muted"></span>
  <span class="spacer"></span>
  <span id="updated" class="muted"></span>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main>
  <div id="signed-out" class="error" hidden>The live stream ended (signed out, or the gateway stopped). <button id="reload" type="button">Reload</button></div>
  <h2>Servers</h2>
  <div id="servers" class="servers"><p class="muted">Loading…</p></div>
  <h2>Recent calls</h2>
  <table>
    <thead><tr><th>time</th><th>principal</th><th>method</th><th>what</th><th>server</th><th>duration</th><th>outcome</th></tr></thead>
    <tbody id="calls"></tbody>
  </table>
  <p id="no-calls" class="muted">No calls yet.</p>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

/** The sign-in page (served with 401): a token field whose value goes out as a bearer header once. */
export function signInHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>berth gateway status: sign in</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header><h1>berth gateway</h1></header>
<main>
  <h2>Sign in to the status page</h2>
  <p class="muted">Paste a bearer token of this gateway. It is sent once, in a header; the browser keeps only a
  short-lived session cookie, never the token.</p>
  <form id="sign-in" method="post" autocomplete="off">
    <input id="token" type="password" placeholder="bearer token" aria-label="bearer token" autocomplete="off">
    <button type="submit">Sign in</button>
  </form>
  <p id="message" class="muted"></p>
</main>
<script nonce="${nonce}">${SIGN_IN_SCRIPT}</script>
</body>
</html>
`;
}
