// Importing `berth` alone loads no framework: a child Node with a module-resolve hook records every
// module the import resolves (through the package's own export map, as a user's import would), and
// none may be a framework package. The adapters live behind their subpath exports only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Package names of the frameworks (and their provider SDKs) the adapters wrap. */
const FRAMEWORK = /^(ai|@ai-sdk\/.*|@langchain\/.*|langchain|@openai\/.*|openai|@mastra\/.*)$/;

/** The package a resolved file URL belongs to (the part after its last node_modules/), if any. */
function packageOf(url: string): string | undefined {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url);
  return match?.[1];
}

const work = mkdtempSync(join(tmpdir(), 'berth-resolve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `code` (an ES module) in a child Node from the package root; returns what it resolved. */
function resolvedBy(code: string): {
  status: number | null;
  stderr: string;
  resolved: Array<[string, string]>;
} {
  const log = join(work, `log-${Math.random().toString(36).slice(2)}.jsonl`);
  const hooks = join(work, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BERTH_RESOLVE_LOG, JSON.stringify([specifier, result.url]) + '\\n');
  return result;
}
`,
  );
  const register = join(work, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  writeFileSync(log, '');
  const child = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(register).href, '--input-type=module', '-e', code],
    {
      cwd: ROOT,
      env: { ...process.env, BERTH_RESOLVE_LOG: log },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const resolved = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as [string, string]);
  return { status: child.status, stderr: child.stderr, resolved };
}

describe('the berth package', () => {
  it('loads no framework module when `berth` alone is imported', () => {
    const { status, stderr, resolved } = resolvedBy(
      "const berth = await import('berth'); if (typeof berth.createHost !== 'function') process.exit(3);",
    );
    expect(stderr).toBe('');
    expect(status).toBe(0);
    // The hook saw the import go through the export map to dist/, and through berth's own dependencies.
    expect(resolved).toContainEqual(['berth', pathToFileURL(join(ROOT, 'dist/index.js')).href]);
    expect(resolved.some(([, url]) => packageOf(url) === '@modelcontextprotocol/client')).toBe(true);
    const frameworks = resolved.filter(
      ([specifier, url]) =>
        FRAMEWORK.test(packageOf(url) ?? '') ||
        FRAMEWORK.test(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    );
    expect(frameworks).toEqual([]);
  });

  it('loads the gateway, and the MCP server SDK, only when `serve` is first called', () => {
    const SERVER_SDK = ['@modelcontextprotocol/server', '@modelcontextprotocol/node'];
    const serverSdk = (resolved: Array<[string, string]>) =>
      resolved.filter(([, url]) => SERVER_SDK.includes(packageOf(url) ?? ''));
    const hosted = resolvedBy(
      "const { createHost } = await import('berth'); const host = await createHost({ mcpServers: {} }); await host.close();",
    );
    expect(hosted.stderr).toBe('');
    expect(hosted.status).toBe(0);
    expect(serverSdk(hosted.resolved)).toEqual([]);
    const served = resolvedBy(
      "const { createHost, serve } = await import('berth'); const host = await createHost({ mcpServers: {} });" +
        " const gateway = await serve(host, { gateway: { listen: '127.0.0.1:0' } }); await gateway.close(); await host.close();",
    );
    expect(served.stderr).toBe('');
    expect(served.status).toBe(0);
    expect(serverSdk(served.resolved).length).toBeGreaterThan(0);
  });

  it('would see a framework if one were loaded (the check is not blind)', () => {
    const { resolved } = resolvedBy("await import('berth'); await import('@langchain/core/messages');");
    expect(resolved.some(([, url]) => packageOf(url) === '@langchain/core')).toBe(true);
  });
});
