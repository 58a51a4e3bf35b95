/**
 * `berth demo`: a tour on the embedded demo servers in one host: status, the catalog, and calls that
 * show the point of a persistent owned session (the counter keeps its state across calls).
 */
import type { Host } from '../../api.js';
import { renderContent } from '../format.js';
import type { CliIo } from '../io.js';
import { statusCommand } from './status.js';
import { toolsCommand } from './tools.js';

/** The calls the tour makes, in order. */
const TOUR: ReadonlyArray<[tool: string, args: Record<string, unknown>, note: string]> = [
  ['counter__increment', { by: 2 }, 'state lives in the server process'],
  ['counter__increment', { by: 3 }, 'same session, so it remembers the 2'],
  ['counter__get', {}, ''],
  ['toolbox__add', { a: 20, b: 22 }, 'a second server behind the same catalog'],
];

/** Runs the tour; returns the exit code. With `json`, prints `{ status, tools, calls }` instead. */
export async function demoCommand(host: Host, io: CliIo, options: { json?: boolean } = {}): Promise<number> {
  if (options.json) {
    const status = host.status();
    const tools = host.tools();
    const calls = [];
    for (const [tool, args] of TOUR)
      calls.push({ tool, arguments: args, result: await host.callTool(tool, args) });
    io.out(JSON.stringify({ status, tools, calls }, null, 2));
    return calls.some((c) => c.result.isError) || status.some((s) => s.state === 'failed') ? 1 : 0;
  }
  io.out('== status');
  const statusCode = statusCommand(host, {}, io);
  io.out('\n== tools');
  toolsCommand(host, {}, io);
  io.out('\n== calls');
  for (const [tool, args, note] of TOUR) {
    const result = await host.callTool(tool, args);
    const shown = `${tool} ${JSON.stringify(args)} → ${renderContent(result)}`;
    io.out(note ? `${shown}   (${note})` : shown);
    if (result.isError) return 1;
  }
  io.out("\nNext: berth tools | berth call <tool> '<json>' | berth status, with --config <your mcp.json>");
  return statusCode;
}
