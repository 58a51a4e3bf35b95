#!/usr/bin/env node
/**
 * berth's tools in the AI SDK (`ai` 7): two conversations, each with its own session (and process)
 * of a stateful counter server, driven by `generateText`'s tool loop.
 *
 *   npm run build && node examples/ai.mjs
 *
 * By default the model is the AI SDK's fake model (`MockLanguageModelV4`), scripted to call the
 * tools. With OPENAI_API_KEY set it uses OpenAI (install `@ai-sdk/openai` first); with
 * ANTHROPIC_API_KEY, Anthropic (install `@ai-sdk/anthropic` first). Needs Node >= 22.
 */
import { fileURLToPath } from 'node:url';
import { createHost } from 'berth';
import { aiTools } from 'berth/ai';
import { generateText, stepCountIs } from 'ai';

const COUNTER = fileURLToPath(new URL('../dist/demo/counter.js', import.meta.url));

/** A real provider's model when its key is in the environment, else undefined. */
async function realModel() {
  if (process.env.OPENAI_API_KEY) {
    const { openai } = await import('@ai-sdk/openai');
    return openai('gpt-4o-mini');
  }
  if (process.env.ANTHROPIC_API_KEY) {
    const { anthropic } = await import('@ai-sdk/anthropic');
    return anthropic('claude-haiku-4-5');
  }
  return undefined;
}

/** The AI SDK's fake model, scripted: `times` increments, a read, then the value it read. */
async function fakeModel(times) {
  const { MockLanguageModelV4 } = await import('ai/test');
  const usage = {
    inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 1, text: 1, reasoning: undefined },
  };
  const call = (step, toolName, input) => ({
    content: [{ type: 'tool-call', toolCallId: `call-${step}`, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls', raw: undefined },
    usage,
    warnings: [],
  });
  let step = 0;
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      const n = step++;
      if (n < times) return call(n, 'counter__increment', { by: 1 });
      if (n === times) return call(n, 'counter__get', {});
      const tool = prompt.findLast((message) => message.role === 'tool');
      const output = tool?.content.find((part) => part.type === 'tool-result')?.output;
      const value = output?.type === 'content' ? output.value.map((part) => part.text ?? '').join('') : '?';
      return {
        content: [{ type: 'text', text: `The counter is ${value}.` }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      };
    },
  });
}

await using host = await createHost({
  // keyed: one session, and one process, per conversation
  mcpServers: { counter: { command: process.execPath, args: [COUNTER], session: 'keyed' } },
});

const real = await realModel();
console.log(`model: ${real ? `${real.provider} ${real.modelId}` : 'fake (MockLanguageModelV4)'}`);

/** One conversation: its own key, so its own counter. */
async function converse(conversation, times) {
  const { text, steps } = await generateText({
    model: real ?? (await fakeModel(times)),
    tools: aiTools(host, { key: conversation }),
    prompt: `Increment the counter by 1, ${times} times, one call at a time; then read it and say its value.`,
    stopWhen: stepCountIs(10),
  });
  console.log(`${conversation}: ${text} (${steps.length} steps)`);
}

await Promise.all([converse('alice', 2), converse('bob', 3)]);

const sessions = host.status().find((server) => server.name === 'counter')?.sessions ?? [];
console.log(`sessions: ${sessions.map((s) => `${s.key ?? '(spare)'}=pid ${s.pid}`).join(', ')}`);
await host.closeKey('alice'); // ends alice's session and its process
await host.closeKey('bob');
// `await using` closes the host: no process is left.
