/** Contender: berth with every server `"session": "keyed"`, every call with the same key. See lib/berth-contender.mjs. */
import { berthFleet, berthVersions } from '../lib/berth-contender.mjs';

export const description = 'berth createHost + host.callTool, session: keyed (one key)';
export const versions = berthVersions;
export const openFleet = berthFleet({ session: 'keyed' }, 'bench-key');
