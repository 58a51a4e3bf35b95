// ESLint flat config: type-aware rules for src and test, including no-floating-promises, and the
// import boundaries that keep berth's layers honest (see LAYERS below).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first, and what each may not import. A layer may use those below it
 * (process → transport → session → cache → scope → host → gateway → cli; adapters beside the gateway), plus the leaves util/, errors.ts, config/
 * and catalog/ where listed. Above all: nothing but session/ reaches a process or a transport, and
 * nothing but scope/ and session/ holds a session; the CLI reaches the host only through the public
 * API (src/api.ts, what the entry point exports; it may use the leaves: config, catalog names, util).
 */
const INTERNAL = [
  'util',
  'process',
  'transport',
  'session',
  'cache',
  'scope',
  'catalog',
  'config',
  'auth',
  'host',
];
/** Everything a leaf of src/ (config, auth, telemetry, cluster) may not import: the layers it serves. */
const SERVED = [
  'process',
  'transport',
  'session',
  'cache',
  'scope',
  'catalog',
  'auth',
  'host',
  'middleware',
  'gateway',
  'cli',
];
/** SERVED without one layer. */
const servedBut = (layer) => SERVED.filter((name) => name !== layer);
const LAYERS = {
  util: [...INTERNAL, 'middleware', 'gateway', 'cli', 'demo', 'log', 'cluster'],
  // The log: what is printed and how secrets are kept out of it; it knows the config's and the
  // host's types (the secrets of a config, the events of a host) and serves the gateway and the CLI.
  log: [...servedBut('host'), 'demo'],
  config: [...SERVED],
  // OpenTelemetry (spans, metrics, propagation, the Prometheus reader): a leaf that session/, host/
  // and gateway/ use, which knows nothing of them.
  telemetry: [...SERVED, 'config'],
  auth: [...servedBut('auth'), 'config'],
  process: [
    'transport',
    'session',
    'cache',
    'scope',
    'catalog',
    'config',
    'auth',
    'host',
    'middleware',
    'gateway',
    'cli',
  ],
  transport: [
    'session',
    'cache',
    'scope',
    'catalog',
    'config',
    'auth',
    'host',
    'middleware',
    'gateway',
    'cli',
  ],
  session: ['cache', 'scope', 'catalog', 'auth', 'host', 'middleware', 'gateway', 'cli'],
  catalog: ['process', 'transport', 'cache', 'scope', 'auth', 'host', 'middleware', 'gateway', 'cli'],
  // The start cache persists listings: it reads and writes files, never a session or a process.
  cache: ['process', 'transport', 'scope', 'catalog', 'auth', 'host', 'middleware', 'gateway', 'cli'],
  scope: ['process', 'transport', 'catalog', 'auth', 'host', 'middleware', 'gateway', 'cli'],
  host: ['process', 'transport', 'middleware', 'gateway', 'cli'],
  middleware: ['process', 'transport', 'session', 'cache', 'scope', 'config', 'auth', 'gateway', 'cli'],
  // Replicas across machines: leases in Redis, forwarding between replicas. The gateway uses it; it
  // knows only its own Redis link and the HTTP requests it routes, never a host or a session.
  cluster: [...SERVED, 'config', 'demo'],
  // The gateway serves a host: it uses the host's public surface, never a session or a process.
  gateway: ['process', 'transport', 'session', 'cache', 'scope', 'auth', 'middleware', 'cli'],
  cli: ['process', 'transport', 'session', 'cache', 'scope', 'auth', 'host', 'middleware'],
  demo: [...INTERNAL, 'middleware', 'gateway', 'cli'],
  // The framework adapters use berth's public entry point (and the leaves): a host or a toolset.
  adapters: [
    'process',
    'transport',
    'session',
    'cache',
    'scope',
    'config',
    'auth',
    'host',
    'middleware',
    'gateway',
    'cli',
  ],
};
// Nothing below the adapters may import them (they load optional framework packages).
for (const [layer, forbidden] of Object.entries(LAYERS)) if (layer !== 'adapters') forbidden.push('adapters');
const layerRules = Object.entries(LAYERS).map(([layer, forbidden]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            // The host holds the process-wide watchdog's lease for its lifetime: the one thing of
            // process/ it may touch.
            group: [
              ...forbidden.map((name) => `**/${name}/*`),
              ...(layer === 'host' ? ['!**/process/watchdog.js'] : []),
            ],
            message: `src/${layer} may not import from this layer (see LAYERS in eslint.config.js)`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'bench/**', 'coverage/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
