/**
 * What a result was measured on: the machine (CPU, cores, memory, OS, Node), the git commit, and
 * how busy the machine was (so runs disturbed by other processes can be told apart), a worker's
 * child processes (which must all be gone once it has closed) and their CPU time, and the live
 * process table (where the soak looks for survivors).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The commit of the working tree at `cwd`, and whether it has uncommitted changes. */
export function gitCommit(cwd) {
  const git = (...args) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const sha = git('rev-parse', 'HEAD');
    return { sha, short: sha.slice(0, 7), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { sha: null, short: 'nogit', dirty: null };
  }
}

/**
 * CPU time (seconds) the whole machine has spent busy, from /proc/stat (Linux; null elsewhere).
 * run.mjs subtracts what the worker and its server used to see how much other processes took.
 */
export function machineBusySeconds() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU time (seconds) a process has used so far, from /proc/<pid>/stat (Linux; null elsewhere). */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields after "pid (comm) "
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime
  } catch {
    return null;
  }
}

/**
 * CPU time (seconds) of the children of `pid` that have exited and been reaped, from /proc (Linux;
 * null elsewhere): after a worker has closed all its servers, what they used in all.
 */
export function reapedChildrenCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS; // cutime + cstime
  } catch {
    return null;
  }
}

/**
 * The pids of the live (non-zombie) child processes of `pid` whose command line contains `match`,
 * from /proc (Linux; null elsewhere).
 */
export function childPids(pid, match) {
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const children = [];
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== pid || state === 'Z') continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(match)) children.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every mainstream Linux

/**
 * Every live (non-zombie) process, from /proc (Linux; null elsewhere): pid, parent, process group
 * and command line. The soak uses it to look for server processes left behind after close.
 */
export function liveProcesses() {
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const processes = [];
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      processes.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp), cmdline });
    } catch {
      // the process ended while we looked
    }
  }
  return processes;
}
