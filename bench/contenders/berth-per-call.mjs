/**
 * Contender: berth with every server `"session": "per-call"` (a fresh session, i.e. process, for
 * every call). Fleet part only: in the calls part's hot loop every call would wait for a process
 * start (~140 ms); its paced latency is in the session-scope part. See lib/berth-contender.mjs.
 */
import { berthFleet, berthVersions } from '../lib/berth-contender.mjs';

export const description = 'berth createHost + host.callTool, session: per-call';
export const parts = ['fleet'];
export const versions = berthVersions;
export const openFleet = berthFleet({ session: 'per-call' });
