/**
 * What the cluster tests share: the fencing lines the upstream fixture servers record
 * (`FIXTURE_FENCE_FILE`), the single-owner check on them, and one `increment` in a 2026-07-28
 * conversation that never throws (its outcome says what the client saw).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import { resultText } from '../gateway/helpers.js';

/** The cluster secret of the tests (never a real one). */
export const SECRET = 'cluster-test-secret-0123456789abcdef';

/** What the upstream servers saw: one line per `increment`, with the owner and fence it came with. */
export interface FenceLine {
  pid: number;
  replica: string;
  fence: number;
  count: number;
  key: string;
}

/** The lines recorded in `path` so far. */
export function fenceLines(path: string): FenceLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, replica, fence, count, key] = line.split(' ');
      return { pid: Number(pid), replica: replica!, fence: Number(fence), count: Number(count), key: key! };
    });
}

/**
 * The single-owner rule, from the upstream servers' side: each server process heard from one replica
 * (under a fence that may grow, when its owner took its lease back after Redis lost its data), and
 * for each conversation the fences only grow: an older owner never speaks after a newer one.
 */
export function expectOneOwnerAtATime(lines: FenceLine[]): void {
  expect(lines.length).toBeGreaterThan(0);
  const byPid = new Map<number, Set<string>>();
  for (const line of lines) {
    const owners = byPid.get(line.pid) ?? new Set();
    owners.add(line.replica);
    byPid.set(line.pid, owners);
  }
  for (const [pid, owners] of byPid) expect([...owners], `server process ${pid}`).toHaveLength(1);
  const latest = new Map<string, number>();
  for (const line of lines) {
    const before = latest.get(line.key) ?? 0;
    expect(line.fence, `conversation ${line.key}`).toBeGreaterThanOrEqual(before);
    latest.set(line.key, line.fence);
  }
}

/** What one call ended with, as its client saw it. */
export interface Outcome {
  ok: boolean;
  text: string;
}

/** An `increment` in conversation `key` (also sent as `test/key`, which the fixture records). */
export function increment(client: Client, key: string): Promise<Outcome> {
  return client
    .callTool({ name: 'k__increment', arguments: { by: 1 }, _meta: { 'berth/key': key, 'test/key': key } })
    .then(
      (result) => ({ ok: true as const, text: resultText(result) }),
      (error: unknown) => ({ ok: false as const, text: String(error) }),
    );
}
