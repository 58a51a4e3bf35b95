/**
 * The environment a stdio server starts with. By default only the SDK's safe inherited variables
 * (PATH, HOME, USER, …) pass through, plus the entry's own `env`; full inheritance is explicit.
 */
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';

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
  }
  return Object.assign(base, options.env);
}
