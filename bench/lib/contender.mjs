/**
 * Helpers around the contender contract (see contenders/sdk-v2.mjs).
 *
 * A contender may implement `open({ command, args })` (one server, for the calls part) and/or
 * `openFleet({ servers })` (several servers at once, for the fleet part: cold start, close, memory,
 * state). `servers` is `[{ name, command, args }]`; `openFleet` resolves to
 * `{ call(server, tool, args) → Promise<text>, close() → Promise, pids?() → number[] }`, using the
 * library the way its docs recommend for several servers (one multi-server client where the library
 * has one). A contender's `parts` (default: both) says which parts it takes part in, and its `node`
 * (a major version, e.g. `export const node = 24`) which Node its workers need when the library
 * requires a newer one than the runner's (see node-binary.mjs).
 */

/** The text of the first text block of a tool result, in the shapes the libraries return. */
export function firstText(result) {
  if (typeof result === 'string') return result;
  const content = Array.isArray(result) ? result : result?.content;
  if (typeof content === 'string') return content;
  const block = content?.find?.((b) => b?.type === 'text');
  if (!block) throw new Error(`no text block in ${JSON.stringify(result).slice(0, 200)}`);
  return block.text;
}

/** `open()` for a contender that only has `openFleet()`: a fleet of one server named `bench`. */
export async function openOne(contender, { command, args }) {
  if (contender.open) return contender.open({ command, args });
  const fleet = await contender.openFleet({ servers: [{ name: 'bench', command, args }] });
  return {
    pid: fleet.pids?.()[0] ?? null,
    echo: (value) => fleet.call('bench', 'echo', { value }),
    close: () => fleet.close(),
  };
}

/** Whether a contender takes part in `part` ('calls' or 'fleet'). */
export function takesPart(contender, part) {
  if (contender.parts && !contender.parts.includes(part)) return false;
  if (part === 'fleet') return typeof contender.openFleet === 'function';
  return typeof contender.open === 'function' || typeof contender.openFleet === 'function';
}
