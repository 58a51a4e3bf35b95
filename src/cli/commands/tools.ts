/**
 * `berth tools`: the aggregated tool catalog, as an aligned table (name, server, description) or, with
 * `--json`, the `tools()` array. Servers that are not ready are named on stderr, since their tools
 * are missing from the list.
 */
import type { Host } from '../../api.js';
import { firstLine, table } from '../format.js';
import type { CliIo } from '../io.js';
import { warnUnavailable } from './status.js';

/** Options of `berth tools`. */
export interface ToolsOptions {
  json?: boolean;
}

/** Prints the catalog; returns the exit code (always 0: an empty or partial catalog is not an error). */
export function toolsCommand(host: Host, options: ToolsOptions, io: CliIo): number {
  const tools = host.tools();
  if (options.json) {
    io.out(JSON.stringify(tools, null, 2));
    return 0;
  }
  warnUnavailable(host, io);
  if (tools.length === 0) {
    io.err('berth: no tools');
    return 0;
  }
  const rows = tools.map((tool) => [tool.name, tool.server, firstLine(tool.description ?? tool.title)]);
  io.out(table(['TOOL', 'SERVER', 'DESCRIPTION'], rows, { maxWidth: io.columns }));
  return 0;
}
