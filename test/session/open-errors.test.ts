/**
 * How a failed open is explained, against real server processes. A server that answers the handshake
 * (or a list request) with an error is reported with its own message, never as an exit; a process
 * berth closed itself (after a timeout, a refusal) is never described by the exit berth caused; only a
 * process that exited by itself gets an exit code in its error.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture, hostFixture } from '../helpers.js';

const CLI = fileURLToPath(new URL('../../dist/bin/berth.js', import.meta.url));
const REFUSAL = 'license key missing: set ACME_KEY';

/** Starts the config's servers and returns each one's status, then closes the host and checks no process is left. */
async function statuses(servers: Record<string, Record<string, unknown>>) {
  await using fx = await hostFixture(servers);
  return Object.fromEntries(fx.host.status().map((s) => [s.name, s]));
}

describe('a server that answers the handshake with an error', () => {
  it("is failed with the server's own message, not as an exit (both eras)", async () => {
    const status = await statuses({
      auto: fixture([`--initialize-error=${REFUSAL}`]),
      legacy: fixture([`--initialize-error=${REFUSAL}`], { era: 'legacy' }),
    });
    for (const name of ['auto', 'legacy']) {
      const s = status[name]!;
      expect(s.state).toBe('failed');
      expect(s.lastError?.phase).toBe('connect');
      expect(s.lastError?.message.split('\n')[0]).toBe(
        `server "${name}" answered the MCP handshake with an error: ${REFUSAL} (phase: connect)`,
      );
      // berth closed the process itself: that exit explains nothing.
      expect(s.lastError?.exitCode).toBeUndefined();
      expect(s.lastError?.signal).toBeUndefined();
    }
  });

  it('berth status shows that message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-open-'));
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({ mcpServers: { acme: fixture([`--initialize-error=${REFUSAL}`]) } }),
    );
    const stdout = await new Promise<string>((resolve) => {
      execFile(process.execPath, [CLI, 'status', '--config', config], { timeout: 20_000 }, (_error, out) =>
        resolve(out),
      );
    });
    expect(stdout).toContain(`answered the MCP handshake with an error: ${REFUSAL}`);
    expect(stdout).not.toMatch(/exited/);
  });
});

describe('other failed opens', () => {
  it('an invalid response to the handshake is reported as such', async () => {
    const status = await statuses({ s: fixture(['--bad-initialize=both']) });
    expect(status.s?.lastError?.message.split('\n')[0]).toBe(
      'server "s" sent an invalid response to the MCP handshake: both result and error (phase: connect)',
    );
  });

  it('an error answering tools/list names the request and carries the message', async () => {
    const status = await statuses({ s: fixture(['--tools-list-error=index not built yet']) });
    expect(status.s?.lastError?.message.split('\n')[0]).toBe(
      'server "s" answered tools/list with an error: index not built yet (phase: connect)',
    );
    expect(status.s?.lastError?.exitCode).toBeUndefined();
  });

  it('a handshake timeout is not described by the exit berth caused', async () => {
    const status = await statuses({ s: fixture(['--hang-on-start'], { startupTimeoutMs: 500 }) });
    expect(status.s?.lastError?.message.split('\n')[0]).toBe(
      'server "s" did not complete the MCP handshake within 500 ms (its startupTimeoutMs) (phase: connect)',
    );
    expect(status.s?.lastError?.exitCode).toBeUndefined();
    expect(status.s?.lastError?.signal).toBeUndefined();
  });

  it('a process that exits by itself during the handshake keeps its exit code', async () => {
    const status = await statuses({ s: fixture(['--crash-on-start']) });
    expect(status.s?.lastError?.message.split('\n')[0]).toBe(
      'server "s" exited before completing the MCP handshake (phase: connect, exit code 3)',
    );
    expect(status.s?.lastError).toMatchObject({ exitCode: 3 });
    expect(status.s?.stderrTail).toContain('crash-on-start');
  });
});
