// berth's tools in a LangChain agent (langchain 1.x `createAgent`), one session per thread.
//
//   npm run build && node examples/langchain.mjs
//
// The `counter` server is keyed: each LangChain thread (`configurable.thread_id`) gets its own
// session, and so its own count, which `host.closeKey(threadId)` ends. By default a scripted fake
// model (`fakeModel()` from `@langchain/core/testing`) drives the loop. With OPENAI_API_KEY set it
// uses `@langchain/openai`, with ANTHROPIC_API_KEY `@langchain/anthropic`: install that package
// first (`npm install @langchain/openai` or `npm install @langchain/anthropic`). Needs Node >= 22.
import { fileURLToPath } from 'node:url';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { createHost } from 'berth';
import { langchainTools } from 'berth/langchain';

// A small stateful MCP server (berth's test fixture): counter__increment, counter__get, …
const server = fileURLToPath(new URL('../test/fixtures/fixture-server.mjs', import.meta.url));

/** A real model when a provider key is set, else a fake one that increments twice, then reads. */
async function chooseModel() {
  if (process.env.OPENAI_API_KEY) {
    const { ChatOpenAI } = await import('@langchain/openai');
    return { model: new ChatOpenAI({ model: 'gpt-4o-mini' }), name: 'openai' };
  }
  if (process.env.ANTHROPIC_API_KEY) {
    const { ChatAnthropic } = await import('@langchain/anthropic');
    return { model: new ChatAnthropic({ model: 'claude-haiku-4-5' }), name: 'anthropic' };
  }
  const model = fakeModel();
  let id = 0;
  const plan = ['counter__increment', 'counter__increment', 'counter__get'];
  const step = (messages) => {
    const lastHuman = messages.findLastIndex((m) => m.getType() === 'human');
    const done = messages.slice(lastHuman + 1).filter((m) => m.getType() === 'ai').length;
    if (done < plan.length)
      return new AIMessage({
        content: '',
        tool_calls: [{ name: plan[done], args: {}, id: `call_${++id}`, type: 'tool_call' }],
      });
    return new AIMessage(`The counter is at ${messages.at(-1).text}.`);
  };
  for (let i = 0; i < 16; i++) model.respond(step);
  return { model, name: 'fake' };
}

const host = await createHost({
  mcpServers: { counter: { command: process.execPath, args: [server], session: 'keyed' } },
});
try {
  const { model, name } = await chooseModel();
  const agent = createAgent({
    model,
    tools: langchainTools(host, { tools: ['counter__increment', 'counter__get'] }),
    checkpointer: new MemorySaver(),
  });
  const ask = 'Increment the counter twice, then tell me its value.';
  // Two conversations at once: each thread has its own counter.
  const [alice, bob] = await Promise.all(
    ['alice', 'bob'].map((thread) =>
      agent.invoke({ messages: [{ role: 'user', content: ask }] }, { configurable: { thread_id: thread } }),
    ),
  );
  console.log(`model: ${name}`);
  console.log(`alice: ${alice.messages.at(-1).text}`);
  console.log(`bob: ${bob.messages.at(-1).text}`);
  await host.closeKey('alice'); // alice's conversation is over: her session and process end
  console.log(
    `sessions left: ${host
      .status()[0]
      .sessions.map((s) => s.key)
      .join(', ')}`,
  );
} finally {
  await host.close();
}
