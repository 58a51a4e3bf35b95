/**
 * What the host offers servers as an MCP client: roots (the host's, or an entry's own), sampling and
 * elicitation handlers, and the notifications it turns into events (logs, resource updates). It owns
 * the host's current roots; `featuresFor` builds one server's features, narrowed by its entry.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Root } from '@modelcontextprotocol/client';
import { rootUri } from '../config/load.js';
import type { ServerSpec } from '../config/types.js';
import type { ClientFeatures } from '../session/connection.js';
import type { HostEvent } from './events.js';
import type { HostOptions } from './options.js';

/** The host's client-side features and its roots. */
export class ClientSide {
  #roots: Root[] | undefined;
  readonly #cwd: string | undefined;
  readonly #sampling: HostOptions['sampling'];
  readonly #elicitation: HostOptions['elicitation'];
  readonly #emit: (event: HostEvent) => void;

  constructor(
    options: Pick<HostOptions, 'roots' | 'sampling' | 'elicitation' | 'cwd'>,
    emit: (event: HostEvent) => void,
  ) {
    this.#cwd = options.cwd;
    this.#roots = options.roots && normalizeRoots(options.roots, this.#cwd);
    this.#sampling = options.sampling;
    this.#elicitation = options.elicitation;
    this.#emit = emit;
  }

  /** The roots offered to servers without roots of their own. */
  get roots(): readonly Root[] {
    return this.#roots ?? [];
  }

  /** Replaces the host's roots (paths are resolved against the host's `cwd`). */
  setRoots(roots: ReadonlyArray<string | Root>): void {
    this.#roots = normalizeRoots(roots, this.#cwd);
  }

  /** The client features one server is offered: the host's handlers, narrowed by the entry's settings. */
  featuresFor(spec: ServerSpec): ClientFeatures {
    const server = spec.name;
    const { offer, roots: ownRoots } = spec.client;
    const sampling = this.#sampling;
    const elicitation = this.#elicitation;
    const serverRoots = ownRoots && normalizeRoots(ownRoots);
    return {
      ...(offer.roots && (serverRoots || this.#roots) && { roots: () => serverRoots ?? this.#roots ?? [] }),
      ...(offer.sampling && sampling && { sampling: (params, { key }) => sampling(params, { server, key }) }),
      ...(offer.elicitation &&
        elicitation && { elicitation: (params, { key }) => elicitation(params, { server, key }) }),
      onLog: (params) =>
        this.#emit({
          type: 'server:log',
          server,
          level: params.level,
          logger: params.logger,
          data: params.data,
        }),
      onResourceUpdated: (uri) => this.#emit({ type: 'resource:updated', server, uri }),
    };
  }
}

/** Roots as the protocol wants them: `file://` URIs with a name. */
function normalizeRoots(roots: ReadonlyArray<string | Root>, cwd = process.cwd()): Root[] {
  return roots.map((root) => {
    if (typeof root !== 'string') return root;
    const uri = rootUri(root, cwd);
    return { uri, name: basename(fileURLToPath(uri)) || uri };
  });
}
