/**
 * Two more published reference servers, run through `npx`: the filesystem server, which takes its
 * allowed directories from berth's roots (and follows a change of roots at runtime), and the memory
 * server, whose knowledge graph persists across calls in the shared session.
 */
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { text, waitForAsync } from '../helpers.js';

describe('server-filesystem with roots', () => {
  it('is confined to the host roots, and follows a change of roots', async () => {
    const first = realpathSync(mkdtempSync(join(tmpdir(), 'berth-fs-a-')));
    const second = realpathSync(mkdtempSync(join(tmpdir(), 'berth-fs-b-')));
    const host = await createHost(
      {
        mcpServers: {
          fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', first] },
        },
      },
      { roots: [first] },
    );
    try {
      const note = join(first, 'note.txt');
      await host.callTool('fs__write_file', { path: note, content: 'written through berth' });
      expect(readFileSync(note, 'utf8')).toBe('written through berth');
      expect(text(await host.callTool('fs__read_text_file', { path: note }))).toBe('written through berth');
      const outside = await host.callTool('fs__read_text_file', { path: join(second, 'x.txt') });
      expect(outside.isError).toBe(true);

      host.setRoots([second]);
      // The server asks for the roots again when notified: ask it until its answer has the new one.
      let allowed = '';
      const caughtUp = async () => {
        allowed = text(await host.callTool('fs__list_allowed_directories'));
        return allowed.includes(second);
      };
      expect(await waitForAsync(caughtUp, 10_000)).toBe(true);
      expect(allowed).toContain(second);
      expect(allowed).not.toContain(first);
    } finally {
      await host.close();
    }
  });
});

describe('server-memory', () => {
  it('keeps its knowledge graph across calls in the shared session', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'berth-memory-')), 'memory.jsonl');
    const host = await createHost({
      mcpServers: {
        memory: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-memory'],
          env: { MEMORY_FILE_PATH: file },
        },
      },
    });
    try {
      await host.callTool('memory__create_entities', {
        entities: [{ name: 'berth', entityType: 'project', observations: ['hosts MCP servers'] }],
      });
      await host.callTool('memory__add_observations', {
        observations: [{ entityName: 'berth', contents: ['one owner per session'] }],
      });
      const graph = text(await host.callTool('memory__read_graph'));
      expect(graph).toContain('hosts MCP servers');
      expect(graph).toContain('one owner per session');
    } finally {
      await host.close();
    }
  });
});
