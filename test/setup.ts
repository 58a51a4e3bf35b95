/**
 * Runs in every test file: any unhandled rejection or uncaught exception fails the file, so a
 * promise that escapes berth's ownership cannot pass unnoticed.
 */
import { afterAll } from 'vitest';

const escaped: unknown[] = [];
const record = (error: unknown) => escaped.push(error);
process.on('unhandledRejection', record);
process.on('uncaughtException', record);

afterAll(async () => {
  // Let any late rejection surface before judging. The pause is the point (nothing should happen in
  // it) and is bounded at 50 ms: no event marks "no rejection is coming".
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
  if (escaped.length > 0) {
    throw new Error(
      `unhandled rejections/exceptions escaped:\n${escaped.map((e) => String((e as Error)?.stack ?? e)).join('\n')}`,
    );
  }
});
