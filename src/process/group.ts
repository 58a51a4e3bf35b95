/**
 * Process-group signalling and liveness. A stdio server is spawned as the leader of its own process
 * group, so one signal reaches the whole tree it started (the `npx` wrapper and its grandchild alike).
 * Liveness ignores zombies: an exited process that nobody has reaped yet is not running, and in
 * containers whose PID 1 does not reap orphans such zombies would otherwise look alive forever.
 */
import { readFileSync, readdirSync } from 'node:fs';

const onLinux = process.platform === 'linux';

/** The state letter and process group of a pid from `/proc/<pid>/stat`, or undefined if it is gone. */
function readStat(pid: number): { state: string; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** True when `pid` is a running (non-zombie) process. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!onLinux) return true;
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** True when any non-zombie process is still in process group `pgid`. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!onLinux) return true;
  // The group has members; they may all be zombies. Only then is /proc worth a scan.
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/** Sends `signal` to every process in group `pgid`; returns false if the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
