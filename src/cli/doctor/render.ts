/**
 * `berth doctor`'s human output: one block per server (its verdict and reason, then each check, and
 * on a failure the server's own stderr tail), then a one-line tally. Pure: returns text.
 */
import { indent } from '../format.js';
import type { DoctorReport, ServerReport, Verdict } from './report.js';

const MARK: Record<Verdict, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** One server's block. */
export function renderServer(server: ServerReport): string {
  const lines = [`${server.name}: ${MARK[server.verdict].trim()} - ${server.reason}`];
  const width = Math.max(...server.checks.map((c) => c.check.length));
  for (const check of server.checks) {
    lines.push(`  ${MARK[check.verdict]}  ${check.check.padEnd(width)}  ${check.message}`);
  }
  if (server.stderrTail) {
    lines.push("  the server's stderr (tail):");
    lines.push(indent(server.stderrTail, '    | '));
  }
  return lines.join('\n');
}

/** The whole report: a header, every server's block, and the tally. */
export function renderReport(report: DoctorReport): string {
  const blocks = report.servers.map(renderServer);
  const { ok, warn, fail } = report.counts;
  const tally = `${ok} ok, ${warn} warn, ${fail} fail`;
  return [`berth doctor: ${report.config}`, '', ...blocks.flatMap((b) => [b, '']), tally].join('\n');
}
