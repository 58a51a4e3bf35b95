// Test runner config: real server processes are spawned, so tests get generous timeouts and run in forks.
import { defineConfig } from 'vitest/config';

/**
 * Files that run after every other file, one at a time: two that measure the machine under their own
 * load (200 clients at once; 10,000 calls and the heap coming back to its baseline), and the replicas
 * on Redis, whose forwards between replica processes have deadlines of their own (an owner replica
 * that does not answer a forward within 1.5 s is "unreachable") that a loaded machine can miss, and
 * their proof at scale (100 clients over three replicas, whose leases a starved machine cannot renew).
 */
const ALONE = [
  'test/gateway/scale.test.ts',
  'test/chaos/load.test.ts',
  'test/cluster/replicas.test.ts',
  'test/cluster/load.test.ts',
];

/**
 * Test files running at once. Most tests wait on real child processes, sockets and timers as much as
 * on the CPU, so two files keep a 2-core CI machine busy, where Vitest's default (cores - 1) ran one
 * file at a time. Not more: every file spawns Node processes, and three at once (measured on a machine
 * shared with other work) starved the cores and tests missed their deadlines.
 */
const MAX_WORKERS = 2;

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: MAX_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
    // Coverage of berth's own code (servers run in their own processes and are not counted).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
    },
  },
});
