/**
 * What a caller gets of a session: a handle that can send requests and nothing else. It cannot
 * close the session, reach its transport or its process, or replace its handlers; only the session's
 * owner holds the connection itself. The one-owner rule is a type here, not a convention.
 */
import type { Client, RequestOptions } from '@modelcontextprotocol/client';
import { SkillsClient } from '@modelcontextprotocol/client/ext/skills';
import { callTool } from './call-tool.js';
import { resourceSubscriptions } from './subscriptions.js';

/** The requests a caller may send on a session. */
export type SessionHandle = Readonly<
  Pick<Client, 'callTool' | 'getPrompt' | 'readResource' | 'complete'> & {
    /** Subscribes to a resource's updates, in either era (see `subscriptions.ts`). */
    subscribeResource(params: { uri: string }, options?: RequestOptions): Promise<void>;
    /** Ends a resource subscription. */
    unsubscribeResource(params: { uri: string }, options?: RequestOptions): Promise<void>;
    /** The Skills extension (SEP-2640): listing a server's skills and reading their files, verified. */
    skills: Readonly<Pick<SkillsClient, 'list' | 'read'>>;
  }
>;

/** A request-only handle on `client` (its methods, bound; the client itself is not reachable). */
export function sessionHandle(client: Client): SessionHandle {
  const skills = new SkillsClient(client);
  return Object.freeze({
    callTool: (params, options) => callTool(client, params, options),
    getPrompt: client.getPrompt.bind(client),
    readResource: client.readResource.bind(client),
    complete: client.complete.bind(client),
    subscribeResource: ({ uri }, options) => resourceSubscriptions(client).subscribe(uri, options),
    unsubscribeResource: ({ uri }, options) => resourceSubscriptions(client).unsubscribe(uri, options),
    skills: Object.freeze({
      // A server without the extension has no skills (asked, the SDK says so on the console).
      list: (...args: Parameters<SkillsClient['list']>) =>
        skills.supported ? skills.list(...args) : Promise.resolve({ skills: [], invalid: [] }),
      read: skills.read.bind(skills),
    }),
  });
}

/** What a caller runs on a session: `send` gets the handle and the time left for its request. */
export type SendRequest<T> = (session: SessionHandle, timeoutMs: number) => Promise<T>;
