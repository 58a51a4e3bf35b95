/**
 * Config problems in watch mode: an edit that cannot be used is reported as a `config:error` event
 * carrying a ConfigError that names the file, never a silent failure or a raw error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createHost, type HostEvent } from '../../src/index.js';
import { waitFor } from '../helpers.js';

describe('watch mode', () => {
  it('reports a file nested 5,000 levels deep as a config:error naming the file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'berth-watch-')), 'mcp.json');
    writeFileSync(path, JSON.stringify({ mcpServers: {} }));
    const events: HostEvent[] = [];
    const host = await createHost(path, { watch: true, onEvent: (e) => void events.push(e) });
    try {
      writeFileSync(path, `{"mcpServers": {}, "x": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`);
      expect(await waitFor(() => events.some((e) => e.type === 'config:error'), 10_000)).toBe(true);
      const event = events.find((e) => e.type === 'config:error');
      const error = event?.type === 'config:error' ? event.error : undefined;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error?.issues[0]).toMatchObject({ file: path, path: '$' });
      expect(error?.issues[0]?.message).toMatch(/nested deeper than \d+ levels/);
    } finally {
      await host.close();
    }
  });
});
