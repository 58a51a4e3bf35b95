/**
 * The states a server (and each of its sessions) moves through. A leaf module: the session owner
 * reports them, the host shows them in `status()`, and errors carry the state that explains them.
 */

/** Where a server is in its life. */
export type ServerState =
  | 'starting'
  | 'ready'
  | 'restarting'
  | 'failed'
  /** The server answered 401: it needs authorization (credentials, or an OAuth flow to finish). */
  | 'unauthorized'
  | 'stopped'
  | 'disabled';
