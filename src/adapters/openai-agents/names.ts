/**
 * Tool names as the OpenAI Agents SDK rewrites them: it replaces every character outside
 * `[a-zA-Z0-9]` with `_`, so two catalog names can become one (`s__add-tool`, `s__add_tool`), and the
 * SDK then fails the whole run (duplicate MCP tool names) or the model cannot tell the tools apart.
 * This module keeps the first of such tools and leaves the others out, with a warning that says which.
 */
import type { CatalogTool } from '../../index.js';

/** The name the SDK gives the model for a tool name. */
export function sdkToolName(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '_');
}

/** The collisions already warned about, so a listing every turn warns once. */
const warned = new Set<string>();

/**
 * The tools whose SDK names are distinct: of tools that the SDK would name alike, the first (in
 * catalog order) stays and each other is left out, with one warning per pair naming both and the fix.
 */
export function distinctForSdk(tools: readonly CatalogTool[]): CatalogTool[] {
  const kept = new Map<string, CatalogTool>();
  const result: CatalogTool[] = [];
  for (const tool of tools) {
    const name = sdkToolName(tool.name);
    const first = kept.get(name);
    if (!first) {
      kept.set(name, tool);
      result.push(tool);
      continue;
    }
    const pair = `${first.name}\0${tool.name}`;
    if (!warned.has(pair)) {
      warned.add(pair);
      process.emitWarning(
        `berth/openai-agents: tools "${first.name}" and "${tool.name}" would both be "${name}" in the OpenAI Agents SDK (it replaces "-" with "_"); "${tool.name}" is left out. Leave one out with the adapter's \`tools\` option or the server entry's \`tools\` filter`,
        'BerthWarning',
      );
    }
  }
  return result;
}
