/**
 * Where OAuth state for remote servers persists: client registrations, tokens and the PKCE verifier
 * of a flow in progress, one record per server URL. `FileTokenStore` is the default: a JSON file
 * readable only by its owner, replaced atomically on every write.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';

/** What is kept for one server. */
export interface AuthRecord {
  clientInformation?: StoredOAuthClientInformation;
  tokens?: StoredOAuthTokens;
  codeVerifier?: string;
}

/** Persistence for OAuth state, keyed by server URL. Implement it to keep tokens in a keychain or a database. */
export interface TokenStore {
  load(key: string): Promise<AuthRecord | undefined>;
  save(key: string, record: AuthRecord): Promise<void>;
}

/** Keeps records in memory only (tests, short-lived processes). */
export class MemoryTokenStore implements TokenStore {
  readonly #records = new Map<string, AuthRecord>();

  async load(key: string): Promise<AuthRecord | undefined> {
    return this.#records.get(key);
  }

  async save(key: string, record: AuthRecord): Promise<void> {
    this.#records.set(key, record);
  }
}

/** The default file: `$BERTH_AUTH_FILE`, or `auth.json` under `$XDG_CONFIG_HOME/berth` (`~/.config/berth`). */
export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.BERTH_AUTH_FILE ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'berth', 'auth.json');
}

/** Keeps records in one JSON file (mode 0600), written to a temp file and renamed into place. */
export class FileTokenStore implements TokenStore {
  readonly path: string;
  #writes: Promise<unknown> = Promise.resolve();
  #cache: { mtimeMs: number; size: number; records: Record<string, AuthRecord> } | undefined;

  constructor(path: string = defaultAuthFile()) {
    this.path = path;
  }

  async load(key: string): Promise<AuthRecord | undefined> {
    return (await this.#readAll())[key];
  }

  save(key: string, record: AuthRecord): Promise<void> {
    // One write at a time, each reading the latest file, so concurrent saves never lose each other.
    const write = this.#writes.then(async () => {
      const all = await this.#readAll();
      all[key] = record;
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(all, null, 2), { mode: 0o600 });
      await rename(temp, this.path);
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /**
   * Every record. The SDK asks for the token on every HTTP request, so the parsed file is kept and
   * read again only when its modification time or size changed (another process may write it).
   */
  async #readAll(): Promise<Record<string, AuthRecord>> {
    try {
      const { mtimeMs, size } = await stat(this.path);
      const cached = this.#cache;
      if (cached?.mtimeMs === mtimeMs && cached.size === size) return { ...cached.records };
      const records = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, AuthRecord>;
      this.#cache = { mtimeMs, size, records };
      return { ...records };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }
}
