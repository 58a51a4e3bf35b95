/** What a result was measured on: the machine (CPU, cores, memory, OS, Node) and the git commit. */
import { execFileSync } from 'node:child_process';
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
  const git = (...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const sha = git('rev-parse', 'HEAD');
    return { sha, short: sha.slice(0, 7), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { sha: null, short: 'nogit', dirty: null };
  }
}
