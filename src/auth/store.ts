/**
 * Where OAuth state for remote servers persists: client registrations, tokens, and the PKCE verifier
 * and discovery state of a flow in progress, one record per server URL. `FileTokenStore` is the default: a JSON file
 * readable only by its owner, replaced atomically on every write (a temp file of its own, flushed,
 * then renamed), with saves to one file serialized across every store in the process.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type {
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { ConfigError } from '../errors.js';
import { jsonKind } from '../util/json.js';

/** What is kept for one server. */
export interface AuthRecord {
  clientInformation?: StoredOAuthClientInformation;
  tokens?: StoredOAuthTokens;
  codeVerifier?: string;
  /** Where the server's authorization server was found, kept with the verifier of a flow in progress. */
  discoveryState?: OAuthDiscoveryState;
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

/**
 * The default file: `$BERTH_AUTH_FILE`, or `auth.json` under `$XDG_CONFIG_HOME/berth`
 * (`~/.config/berth`). An empty variable counts as unset, and a relative `XDG_CONFIG_HOME` is
 * ignored, as the XDG spec says (it would put tokens wherever the process happens to run).
 */
export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_AUTH_FILE) return env.BERTH_AUTH_FILE;
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  return join(xdg ?? join(homedir(), '.config'), 'berth', 'auth.json');
}

/**
 * Saves queued per file, across every store in this process: two hosts (two stores) on one file
 * then never interleave their read-modify-write, so neither loses the other's record.
 */
const fileQueues = new Map<string, Promise<unknown>>();

/**
 * Keeps records in one JSON file (mode 0600), replaced atomically on every write: the new content
 * goes to a temp file of its own (pid and random name, created exclusively, so two stores or two
 * processes never share one), is flushed, then renamed over the file. Saves to one file are
 * serialized within the process; two processes saving at the same moment can still overwrite each
 * other's newest record (the file stays whole either way).
 */
export class FileTokenStore implements TokenStore {
  /** The file, as an absolute path. */
  readonly path: string;
  #cache: { mtimeMs: number; size: number; records: Record<string, AuthRecord> } | undefined;

  constructor(path: string = defaultAuthFile()) {
    this.path = resolve(path);
  }

  async load(key: string): Promise<AuthRecord | undefined> {
    const records = await this.#readAll();
    return Object.hasOwn(records, key) ? records[key] : undefined;
  }

  save(key: string, record: AuthRecord): Promise<void> {
    // One write at a time per file, each reading the latest file, so concurrent saves never lose each other.
    const previous = fileQueues.get(this.path) ?? Promise.resolve();
    const write = previous.then(async () => {
      const all = await this.#readAll();
      Object.defineProperty(all, key, {
        value: record,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeAtomically(this.path, JSON.stringify(all, null, 2));
    });
    const settled = write.catch(() => {});
    fileQueues.set(this.path, settled);
    void settled.then(() => {
      if (fileQueues.get(this.path) === settled) fileQueues.delete(this.path);
    });
    return write;
  }

  /**
   * Every record. The SDK asks for the token on every HTTP request, so the parsed file is kept and
   * read again only when its modification time or size changed (another process may write it).
   */
  async #readAll(): Promise<Record<string, AuthRecord>> {
    let stats;
    try {
      stats = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw this.#invalid(`cannot be read (${describeFsError(error)})`, error);
    }
    if (!stats.isFile()) throw this.#invalid('is not a regular file');
    const { mtimeMs, size } = stats;
    const cached = this.#cache;
    if (cached?.mtimeMs === mtimeMs && cached.size === size) return { ...cached.records };
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw this.#invalid(`cannot be read (${describeFsError(error)})`, error);
    }
    const records = this.#parse(text);
    this.#cache = { mtimeMs, size, records };
    return { ...records };
  }

  /** The file's records; a file that is not a JSON object is a ConfigError naming it (never overwritten). */
  #parse(text: string): Record<string, AuthRecord> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw this.#invalid(
        `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
        error,
      );
    }
    if (jsonKind(value) !== 'object') throw this.#invalid(`expected a JSON object, got ${jsonKind(value)}`);
    return value as Record<string, AuthRecord>;
  }

  #invalid(problem: string, cause?: unknown): ConfigError {
    const message = `token store ${problem}; fix the file or delete it (its servers then authorize again)`;
    return new ConfigError([{ file: this.path, path: '$', message }], { cause });
  }
}

/** A file-system error in a few words: `permission denied`, else its message. */
function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Writes `text` to `path` atomically: a temp file beside it with a name no other writer uses
 * (created with `wx`, mode 0600), flushed to disk, then renamed over `path`. The temp file is
 * removed if anything fails.
 */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
