/**
 * The environment a stdio server starts with. By default only the SDK's safe inherited variables
 * (PATH, HOME, USER, …) and where the machine's TLS trust store is pass through, plus the entry's own
 * `env`; full inheritance is explicit.
 */
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';

/**
 * Where extra trusted CA certificates are: file and directory paths, not secrets. Behind a proxy that
 * intercepts TLS, a server started with `npx` or `uvx` cannot reach its registry without them.
 */
export const TRUST_STORE_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'] as const;

/** Builds a child's environment from the host's and the entry's settings. */
export function childEnvironment(options: {
  env: Record<string, string>;
  inheritEnv: boolean;
}): Record<string, string> {
  const base: Record<string, string> = {};
  if (options.inheritEnv) {
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) base[key] = value;
  } else {
    Object.assign(base, getDefaultEnvironment());
    for (const key of TRUST_STORE_VARIABLES) {
      const value = process.env[key];
      if (value !== undefined) base[key] = value;
    }
  }
  return Object.assign(base, options.env);
}
