// @ts-check
/**
 * The watchdog process (started by `watchdog.ts` as `node watchdog-main.mjs --host-pid <pid>`): it holds
 * the set of live server process groups of one host process and reaps them if that host dies without
 * closing them. Plain JavaScript with no imports of berth, so the same file runs from `src/` (tests)
 * and from `dist/` (the package), where the build emits it (`allowJs`).
 *
 * Protocol, one line at a time on stdin: `+<pgid>` registers a group, `-<pgid>` forgets one, `exit`
 * ends the watchdog at once without touching any group (the host no longer needs it). EOF or an error
 * on stdin without `exit` means the host is gone (the OS closed its end of the pipe, however it died):
 * SIGTERM every registered group, wait up to 500 ms for them to empty, SIGKILL the rest, and exit. As a
 * backup it also notices being re-parented (the host died). It signals only the groups it was told
 * about, and only while they exist. Signals from a terminal (SIGINT, SIGHUP) are not its to obey.
 */
const GRACE_MS = 500;

const hostArg = process.argv.indexOf('--host-pid');
const hostPid = Number(hostArg >= 0 ? process.argv[hostArg + 1] : NaN);
if (!Number.isSafeInteger(hostPid) || hostPid <= 1) {
  process.stderr.write('berth-watchdog: usage: watchdog-main.mjs --host-pid <pid>\n');
  process.exit(2);
}
// What `ps` shows: this is berth's watchdog, and whose.
process.title = `berth-watchdog --host-pid=${hostPid}`;

/** @type {Set<number>} registered process group ids */
const groups = new Set();
let reaping = false;

process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

/**
 * Sends `signal` to group `pgid`; true if the group exists and may be signalled.
 * @param {number} pgid
 * @param {NodeJS.Signals | 0} signal
 */
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (/** @type {string} */ chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    if (line === 'exit') process.exit(0); // told to stop: the host closed normally
    const pgid = Number(line.slice(1));
    if (!Number.isSafeInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid);
    else if (line[0] === '-') groups.delete(pgid);
  }
});

/** The host is gone: SIGTERM every group, give them GRACE_MS to empty, SIGKILL what is left, exit. */
function reap() {
  if (reaping) return;
  reaping = true;
  clearInterval(parentWatch);
  for (const pgid of groups) if (!signalGroup(pgid, 'SIGTERM')) groups.delete(pgid);
  const deadline = Date.now() + GRACE_MS;
  const poll = setInterval(() => {
    for (const pgid of groups) if (!signalGroup(pgid, 0)) groups.delete(pgid);
    if (groups.size > 0 && Date.now() < deadline) return;
    clearInterval(poll);
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
    process.exit(0);
  }, 25);
}
process.stdin.on('end', reap);
process.stdin.on('error', reap);
process.stdin.on('close', reap);

// Backup: re-parented means the host died. Wait one more tick first, so lines the host wrote just
// before dying are still read from the pipe (EOF normally comes first anyway).
let orphaned = false;
const parentWatch = setInterval(() => {
  if (process.ppid === hostPid) return;
  if (orphaned) reap();
  orphaned = true;
}, GRACE_MS);
