/**
 * The secrets `berth serve --status` redacts from its status page: the config's env values, remote
 * headers and credentials, and the gateway's tokens, read from the loaded config and again after
 * each reload (from the config the host applied) (values once seen are never forgotten: an old stderr tail may still hold one).
 * It owns the reloads it starts, awaited by `close()`.
 */
import { loadConfig, resolveConfig, type ConfigInput, type LoadedConfig } from '../config/load.js';
import { configSecrets } from '../gateway/status/index.js';
import type { Host } from '../api.js';

/** The secret values of a config, kept current across reloads. */
export interface SecretSource {
  /** Every secret value seen so far. */
  values(): Iterable<string>;
  /** Stops following reloads and waits for one under way. */
  close(): Promise<void>;
}

/** Follows `host`'s reloads of `config`, starting from `loaded`. */
export function followConfigSecrets(host: Host, config: ConfigInput, loaded: LoadedConfig): SecretSource {
  const seen = new Set(configSecrets(loaded.servers, loaded.gateway));
  let reading: Promise<void> = Promise.resolve();
  const stop = host.on((event) => {
    if (event.type !== 'config:reloaded') return;
    reading = reading
      .then(() => {
        // The config the host applied (in a cluster, maybe another replica's), else the file.
        const applied = host.appliedConfig();
        return applied ? resolveConfig(applied.raw, applied.source) : loadConfig(config);
      })
      .then((next) => {
        for (const value of configSecrets(next.servers, next.gateway)) seen.add(value);
      })
      .catch(() => undefined); // a config that no longer loads: the host keeps the old one too
  });
  return {
    values: () => seen,
    close: async () => {
      stop();
      await reading;
    },
  };
}
