/**
 * berth with the OpenAI Agents SDK: each conversation gets its own session (and process) of a stateful
 * MCP server, keyed by the run context, through berth's function tools and through its MCPServer.
 *
 *   npm run build && node examples/openai-agents.mjs
 *
 * Needs Node >= 22 and `@openai/agents` installed (an optional peer dependency of berth). Without
 * OPENAI_API_KEY it runs on the SDK's scripted test model (`@openai/agents/testing`), so the output is
 * fixed; with OPENAI_API_KEY in the environment it asks a real OpenAI model (OPENAI_MODEL, default
 * gpt-4.1-mini) instead.
 */
import { fileURLToPath } from 'node:url';
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { createHost } from 'berth';
import { berthMcpServer, openaiAgentsTools } from 'berth/openai-agents';

// berth's demo counter server (built into dist/ by `npm run build`): one counter per session.
const counter = fileURLToPath(new URL('../dist/demo/counter.js', import.meta.url));
const host = await createHost({
  mcpServers: { counter: { command: process.execPath, args: [counter], session: 'keyed' } },
});

const real = Boolean(process.env.OPENAI_API_KEY);
if (!real) setTracingDisabled(true); // traces go to OpenAI, which needs the key

/** The model for one run: a real one, or a script that makes these tool calls and reports the last result. */
async function modelFor(calls) {
  if (real) return process.env.OPENAI_MODEL ?? 'gpt-4.1-mini';
  const { ScriptedModel, functionCall, modelResponder, assistantMessage } =
    await import('@openai/agents/testing');
  return new ScriptedModel([
    ...calls.map(([name, args], i) => [functionCall(name, args, { callId: `call_${i}` })]),
    modelResponder(({ request }) => {
      const results = request.input.filter((item) => item.type === 'function_call_result');
      const last = results.at(-1)?.output;
      const text = typeof last === 'string' ? last : Array.isArray(last) ? last[0]?.text : last?.text;
      return [assistantMessage(`The counter is ${text}.`)];
    }),
  ]);
}

try {
  // 1. Function tools; the key of each run comes from its context.
  const tools = openaiAgentsTools(host, { key: (context) => context.conversation });
  const ask = async (conversation, prompt, calls) => {
    const agent = new Agent({
      name: 'counter',
      instructions: 'You keep a counter with the tools. Answer with its value.',
      model: await modelFor(calls),
      tools,
    });
    const result = await run(agent, prompt, { context: { conversation } });
    console.log(`${conversation}: ${result.finalOutput}`);
  };
  const increment = ['counter__increment', { by: 1 }];
  await ask('alice', 'Add 1 to the counter, twice.', [increment, increment]);
  await ask('bob', 'Add 1 to the counter.', [increment]);
  await ask('alice', 'What is the counter now?', [['counter__get', {}]]);

  // 2. The same host as an MCPServer (the SDK lists its tools each turn).
  const server = berthMcpServer(host, { key: (context) => context.conversation });
  const agent = new Agent({
    name: 'counter',
    instructions: 'You keep a counter with the tools. Answer with its value.',
    model: await modelFor([['counter__get', {}]]),
    mcpServers: [server],
  });
  const result = await run(agent, 'What is the counter now?', { context: { conversation: 'bob' } });
  console.log(`bob (MCPServer): ${result.finalOutput}`);
  await server.close(); // a key function: the conversations' sessions stay theirs

  // Each conversation ends its own sessions (and processes).
  await host.closeKey('alice');
  await host.closeKey('bob');
} finally {
  await host.close();
}
