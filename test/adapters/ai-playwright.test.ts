/**
 * The AI SDK adapter with a real stateful server whose state is a browser: `@playwright/mcp` with
 * Debian's Chromium (headless, isolated profile), keyed. Two conversations run the AI SDK's real loop
 * at once (driven by `MockLanguageModelV4`); each navigates its own page in one step and reads it back
 * in a later one, so its browser is kept across steps and neither sees the other's. Ending a
 * conversation's key ends its Playwright process and browser; after `host.close()` none is left.
 */
import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { existsSync } from 'node:fs';
import { alive, waitFor } from '../helpers.js';
import { CHROMIUM, browser, page, readPage, tree } from '../playwright.js';
import { frameworkRuns } from './frameworks.js';

const runs = frameworkRuns('AI SDK (Playwright MCP)', '22.0.0');

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** The text the model was sent of the last tool result. */
function lastToolText(prompt: LanguageModelV4CallOptions['prompt']): string {
  const tool = [...prompt].reverse().find((message) => message.role === 'tool');
  const part = tool?.content.find((p) => p.type === 'tool-result');
  const output = part?.type === 'tool-result' ? part.output : undefined;
  if (output?.type !== 'content') return JSON.stringify(output);
  return output.value.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
}

describe.skipIf(!runs || !existsSync(CHROMIUM) || process.platform !== 'linux')(
  'berth/ai with Playwright MCP: a browser per conversation',
  () => {
    it('two conversations, two pages kept across steps, nothing crossed; closeKey ends a browser', async () => {
      const { generateText, stepCountIs } = await import('ai');
      const { MockLanguageModelV4 } = await import('ai/test');
      const { aiTools, aiToolsContext } = await import('../../src/adapters/ai/index.js');
      await using host = await createHost({ mcpServers: { browser } });
      const tools = aiTools<{ conversation: string }>(host, { key: (context) => context.conversation });
      expect(Object.keys(tools)).toContain('browser__browser_navigate');

      /** A model that navigates to its page, then (next step) reads it, then says what it read. */
      const model = (name: string) => {
        const turns: Array<(prompt: LanguageModelV4CallOptions['prompt']) => LanguageModelV4GenerateResult> =
          [
            () => call('browser__browser_navigate', { url: page(name) }),
            () => call('browser__browser_evaluate', readPage),
            () => call('browser__browser_snapshot', {}),
            (prompt) => ({
              content: [{ type: 'text', text: lastToolText(prompt) }],
              finishReason: { unified: 'stop', raw: undefined },
              usage,
              warnings: [],
            }),
          ];
        let i = 0;
        const evaluated: string[] = [];
        const call = (toolName: string, input: unknown): LanguageModelV4GenerateResult => ({
          content: [
            { type: 'tool-call', toolCallId: `${name}-${i}`, toolName, input: JSON.stringify(input) },
          ],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        });
        return {
          evaluated,
          model: new MockLanguageModelV4({
            doGenerate: async (options) => {
              const n = i++;
              if (n === 2) evaluated.push(lastToolText(options.prompt));
              const turn = turns[n];
              if (!turn) throw new Error(`no turn ${n}`);
              return turn(options.prompt);
            },
          }),
        };
      };
      const alpha = model('Alpha');
      const bravo = model('Bravo');
      const run = (name: string, m: ReturnType<typeof model>) =>
        generateText({
          model: m.model,
          tools,
          toolsContext: aiToolsContext(tools, { conversation: name }),
          prompt: 'look at your page',
          stopWhen: stepCountIs(10),
        });
      const [a, b] = await Promise.all([run('alpha', alpha), run('bravo', bravo)]);

      expect(alpha.evaluated[0]).toContain('Alpha / Alpha');
      expect(bravo.evaluated[0]).toContain('Bravo / Bravo');
      expect(a.text).toContain('Alpha');
      expect(a.text).not.toContain('Bravo');
      expect(b.text).toContain('Bravo');
      expect(b.text).not.toContain('Alpha');

      const sessions = host.status().find((s) => s.name === 'browser')?.sessions ?? [];
      const pidOf = (key: string) => sessions.find((s) => s.key === key)?.pid;
      const treeA = tree(pidOf('alpha')!);
      const treeB = tree(pidOf('bravo')!);
      expect(treeA.length).toBeGreaterThan(1); // the server and its browser's processes
      expect(treeB.length).toBeGreaterThan(1);
      expect(treeA.filter((pid) => treeB.includes(pid))).toEqual([]);

      await host.closeKey('alpha');
      expect(await waitFor(() => alive(treeA).length === 0, 15_000)).toBe(true);
      expect(alive(treeB)).toEqual(treeB);
      await host.close();
      expect(await waitFor(() => alive(treeB).length === 0, 15_000)).toBe(true);
    }, 180_000);
  },
);
