/**
 * Contender: berth with every server `"session": "per-call", "prewarm": 1`. Fleet part only (see
 * contenders/berth-per-call.mjs); its paced latency is in the session-scope part.
 * See lib/berth-contender.mjs.
 */
import { berthFleet, berthVersions } from '../lib/berth-contender.mjs';

export const description = 'berth createHost + host.callTool, session: per-call, prewarm: 1';
export const parts = ['fleet'];
export const versions = berthVersions;
export const openFleet = berthFleet({ session: 'per-call', prewarm: 1 });
