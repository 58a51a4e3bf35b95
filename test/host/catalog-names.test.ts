/**
 * Catalog names across real servers with long, odd and clashing names: every name is valid for LLM
 * tool APIs, unique, and routes to exactly the tool it names.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { CATALOG_NAME_PATTERN } from '../../src/catalog/naming.js';
import { fixture, text } from '../helpers.js';

describe('catalog names', () => {
  it('are valid, unique and exact for long and clashing server and tool names', async () => {
    const longServer = 'a-server-with-a-very-long-name-that-goes-on-and-on-and-on-for-ever-and-ever';
    const longTool = 'a_tool_whose_name_is_also_far_too_long_for_any_llm_tool_api_to_accept_as_is';
    const host = await createHost({
      mcpServers: {
        'my.server': fixture(['--name=dot']),
        my_server: fixture(['--name=underscore']),
        [longServer]: fixture([`--tool-name=${longTool}`]),
        'spaces and ünïcödé': fixture(['--tools=3']),
      },
    });
    try {
      const tools = host.tools();
      const names = tools.map((t) => t.name);
      expect(names.length).toBe(new Set(names).size);
      for (const name of names) expect(name).toMatch(CATALOG_NAME_PATTERN);
      // The two servers whose names sanitize alike each keep their own tools.
      const pidTools = tools.filter(
        (t) => t.tool === 'pid' && (t.server === 'my.server' || t.server === 'my_server'),
      );
      expect(pidTools).toHaveLength(2);
      const served = await Promise.all(pidTools.map((t) => host.callTool(t.name).then(text)));
      const expected = pidTools.map((t) => String(host.status().find((s) => s.name === t.server)?.pid));
      expect(served).toEqual(expected);
      const long = tools.find((t) => t.tool === longTool)!;
      expect(long.name.length).toBeLessThanOrEqual(64);
      expect(text(await host.callTool(long.name))).toBe(longTool);
      expect(
        tools.filter((t) => t.server === 'spaces and ünïcödé' && t.tool.startsWith('tool_')),
      ).toHaveLength(3);
    } finally {
      await host.close();
    }
  });
});
