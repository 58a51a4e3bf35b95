/**
 * The embedded default config: berth's two demo servers (`counter` and `toolbox`, shipped in
 * `dist/demo`), used by the CLI when no `--config` is given so a newcomer sees it work at once. The
 * server paths resolve against this module's own location (`dist/config/default.js`), so they hold
 * wherever the package is installed, and the servers run on the same Node binary as berth.
 */
import { fileURLToPath } from 'node:url';

/**
 * A fresh copy of the default config: `{ mcpServers: { counter, toolbox } }`, each a stdio server run
 * as `node <absolute path of dist/demo/NAME.js>`. Pass it to `createHost` like any config object.
 */
export function defaultConfig(): Record<string, unknown> {
  const counter = fileURLToPath(new URL('../demo/counter.js', import.meta.url));
  const toolbox = fileURLToPath(new URL('../demo/toolbox.js', import.meta.url));
  return {
    mcpServers: {
      counter: { command: process.execPath, args: [counter] },
      toolbox: { command: process.execPath, args: [toolbox] },
    },
  };
}
