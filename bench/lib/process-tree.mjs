/**
 * What the gateway part reads about processes it did not start itself, from /proc (Linux only):
 * a gateway's process tree (the gateway and every live descendant), its resident memory and CPU
 * time, the TCP ports it listens on (most peers take `--port 0` without saying which port they
 * got), every process carrying a measurement's tag, and a staged stop of such a tree.
 *
 * A measurement's tag (`--bench-tag=<uuid>`) is put on every upstream server's command line and, as
 * `BENCH_TAG=<uuid>`, in the gateway's environment, so a gateway's processes are found even after
 * they left its tree (reparented, or in process groups of their own), by the worker and, should the
 * worker die, by the runner.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const CLOCK_TICKS = 100; // USER_HZ

/** Every live (non-zombie) process: pid, ppid, pgrp. */
function table() {
  const rows = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      rows.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      // ended while we looked
    }
  }
  return rows;
}

/** `root` (if alive) and its live descendants, as pids; root first. */
export function treePids(root) {
  const rows = table();
  if (!rows.some((r) => r.pid === root)) return [];
  const children = new Map();
  for (const r of rows) {
    if (!children.has(r.ppid)) children.set(r.ppid, []);
    children.get(r.ppid).push(r.pid);
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The command line of `pid`, spaces between arguments ('' if it is gone). */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** The arguments of `pid` ([] if it is gone). */
export function argv(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Live processes whose command line or environment carries `tag` (the uuid of a measurement). */
export function taggedPids(tag) {
  const found = [];
  for (const { pid } of table()) {
    if (pid === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(tag) ||
        readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`BENCH_TAG=${tag}`)
      )
        found.push(pid);
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}

/** Resident set size (bytes) of one process from /proc/<pid>/status, or 0 if it is gone. */
export function rssBytes(pid) {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of `root` alone and summed over its tree (bytes), and how many processes the tree has. */
export function treeRss(root) {
  const pids = treePids(root);
  let tree = 0;
  for (const pid of pids) tree += rssBytes(pid);
  return { root: rssBytes(root), tree, processes: pids.length };
}

/**
 * CPU seconds used so far by `root`'s tree: each live process's own time plus that of its children
 * already reaped (so a per-request child that has exited still counts, in its parent).
 */
export function treeCpuSeconds(root) {
  let ticks = 0;
  for (const pid of treePids(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // ended while we looked
    }
  }
  return ticks / CLOCK_TICKS;
}

/** The TCP ports `pid` listens on (IPv4 and IPv6), from its socket fds and /proc/net/tcp{,6}. */
export function listeningPorts(pid) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed while we looked
      }
    }
  } catch {
    return [];
  }
  const ports = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      if (inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return [...ports];
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` is alive (zombies count as gone), up to `ms`; resolves to those left. */
export async function waitGone(pids, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const live = new Set(table().map((r) => r.pid));
    const left = pids.filter((p) => live.has(p));
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(25);
  }
}

/**
 * Stops a gateway the way its users would (SIGTERM to the gateway), waits up to `graceMs` for it
 * to exit, then SIGKILLs whatever is left: the gateway's process group, every process of its tree
 * as seen before the SIGTERM, and every process carrying `tag`. Resolves to what the gateway left
 * behind on its own: `{ exitedMs, survivors }`, `exitedMs` null if it did not exit within
 * `graceMs`, `survivors` the processes of its tree (or tag) still alive once it had exited.
 */
export async function stopTree(root, { tag, graceMs = 6000 } = {}) {
  const before = [...new Set([...treePids(root), ...(tag ? taggedPids(tag) : [])])];
  const start = Date.now();
  signal(root, 'SIGTERM');
  const rootLeft = await waitGone([root], graceMs);
  const exitedMs = rootLeft.length === 0 ? Date.now() - start : null;
  let survivors = [];
  if (exitedMs !== null) {
    // Give its children a moment to follow their parent out (a stdin EOF takes a few ms).
    survivors = await waitGone(
      [...new Set([...before, ...(tag ? taggedPids(tag) : [])])].filter((p) => p !== root),
      1000,
    );
  }
  const left = survivors.map((pid) => ({ pid, cmdline: cmdline(pid) }));
  await killAll(root, tag, before);
  return { exitedMs, survivors: left };
}

/** SIGKILLs `root`'s group, `known` pids and every process with `tag`, and waits (5 s) for them to go. */
export async function killAll(root, tag, known = []) {
  const pids = [...new Set([...known, ...(root ? treePids(root) : []), ...(tag ? taggedPids(tag) : [])])];
  if (root) signal(-root, 'SIGKILL');
  for (const pid of pids) {
    signal(-pid, 'SIGKILL'); // its group, when it leads one (detached children do)
    signal(pid, 'SIGKILL');
  }
  const left = await waitGone(pids, 5000);
  if (left.length) throw new Error(`processes ${left.join(', ')} still alive after SIGKILL`);
}
