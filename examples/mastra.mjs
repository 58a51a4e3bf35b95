/**
 * berth's tools in a Mastra agent: two conversations (Mastra memory threads) talk to a stateful
 * server at the same time, and each gets its own session of it. The server is berth's test fixture,
 * a counter: each thread counts to two on its own.
 *
 *   npm run build && node examples/mastra.mjs
 *
 * Needs Node >= 22.13 and @mastra/core. With no API key it runs on a scripted fake model (the AI
 * SDK's MockLanguageModelV4, from the `ai` package); with OPENAI_API_KEY (or ANTHROPIC_API_KEY) in
 * the environment it uses that provider through Mastra's model router, which needs no other package.
 */
import { createHost } from 'berth';
import { mastraTools } from 'berth/mastra';
import { Agent } from '@mastra/core/agent';
import { MockMemory } from '@mastra/core/memory';
import { InMemoryStore } from '@mastra/core/storage';
import { fileURLToPath } from 'node:url';

const counter = fileURLToPath(new URL('../test/fixtures/fixture-server.mjs', import.meta.url));

/** A model that calls increment, increment, get, then answers with what get returned. */
async function fakeModel() {
  const { MockLanguageModelV4 } = await import('ai/test');
  const usage = {
    inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 1, text: 1, reasoning: undefined },
  };
  const plan = ['counter__increment', 'counter__increment', 'counter__get'];
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      // This turn's tool results: what comes after the last user message.
      const turn = prompt.slice(prompt.findLastIndex((m) => m.role === 'user') + 1);
      const results = turn.flatMap((m) => (m.role === 'tool' ? m.content : []));
      const next = plan[results.length];
      const content = next
        ? [{ type: 'tool-call', toolCallId: `call-${Math.random()}`, toolName: next, input: '{}' }]
        : [{ type: 'text', text: `the counter is at ${results.at(-1)?.output.value}` }];
      const finishReason = { unified: next ? 'tool-calls' : 'stop', raw: undefined };
      return { content, finishReason, usage, warnings: [] };
    },
  });
}

const model = process.env.OPENAI_API_KEY
  ? 'openai/gpt-5-mini'
  : process.env.ANTHROPIC_API_KEY
    ? 'anthropic/claude-haiku-4-5'
    : await fakeModel();

const host = await createHost({
  // keyed: one session (and process) of the counter per conversation.
  mcpServers: { counter: { command: process.execPath, args: [counter], session: 'keyed' } },
});
try {
  const berth = mastraTools(host, { servers: ['counter'] });
  const agent = new Agent({
    id: 'counter-agent',
    name: 'counter-agent',
    instructions: 'Increment the counter twice, then read it with get, and say its value.',
    model,
    tools: berth.tools, // re-read on every generate: servers added later show up
    memory: new MockMemory({ storage: new InMemoryStore() }),
  });

  // Two conversations at once: the key of each is its memory thread.
  const ask = (thread) =>
    agent.generate('Count to two.', { memory: { thread, resource: 'example-user' }, maxSteps: 6 });
  const [alice, bob] = await Promise.all([ask('alice'), ask('bob')]);
  console.log(`alice: ${alice.text}`);
  console.log(`bob: ${bob.text}`);

  // A conversation is over: end its sessions.
  await host.closeKey('alice');
  await host.closeKey('bob');
} finally {
  await host.close();
}
