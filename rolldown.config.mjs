/**
 * The `berth` executable as one bundle (`npm run build` runs it after `tsc`): `dist/cli/main.js` and
 * everything it imports, berth's modules and its dependencies alike, in `dist/bin/`. Loading a few
 * large files instead of some 300 small ones is most of what a warm `berth tools` costs (see
 * docs/benchmarks.md, "Start-up with a cached catalog"); each command's own modules stay in chunks
 * of their own, loaded when that command runs. The library (`dist/index.js` and its subpaths) is not
 * bundled.
 *
 * `dist/bin/` sits one folder below `dist/`, like every folder `tsc` writes, so the paths modules
 * resolve against `import.meta.url` (`../../package.json`, `../demo/…`, `../process/…`) hold in the
 * bundle too. The optional peer dependencies stay outside: they are found where the user installed
 * them, or not at all.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const peers = Object.keys(pkg.peerDependencies ?? {});

export default {
  input: { berth: 'dist/cli/main.js' },
  platform: 'node',
  external: (id) => peers.some((peer) => id === peer || id.startsWith(`${peer}/`)),
  // jsonc-parser's `main` is a UMD build whose inner requires no bundler can follow; its ESM build is not.
  resolve: { mainFields: ['module', 'main'] },
  output: {
    dir: 'dist/bin',
    format: 'esm',
    // No source maps: the bundle is not minified (stack traces read as the code), and maps of every
    // dependency would more than double what the package installs.
    sourcemap: false,
    cleanDir: true,
    // The MCP SDK and Ajv in chunks of their own, by name (each with the packages it alone needs):
    // loaded only by the commands that open a session or serve; a warm `berth tools` loads neither
    // (test/host/lazy-start.test.ts checks it). zod, which the config needs too, goes first.
    advancedChunks: {
      groups: [
        { name: 'zod', test: /node_modules[\\/]zod[\\/]/, priority: 3 },
        { name: 'ajv', test: /node_modules[\\/]ajv(-formats)?[\\/]/, priority: 2 },
        { name: 'mcp-sdk', test: /node_modules[\\/]@modelcontextprotocol[\\/]/, priority: 1 },
      ],
    },
  },
};
