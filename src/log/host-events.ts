/**
 * A host's events as log records: which event is worth which level, and which of its fields go in
 * the record. A server failing or restarting is a warning (the host carries on); a server becoming
 * ready, a config reload, a server's own log message at `info` or above are news; the rest (starting,
 * stopping, sessions opening and closing, list changes) is detail for `debug`.
 */
import type { HostEvent } from '../host/events.js';
import type { Logger } from './logger.js';
import { keyLogId } from './secrets.js';

/** pino's level for an MCP log level (RFC 5424 names). */
function levelOf(mcpLevel: string): 'debug' | 'info' | 'warn' | 'error' {
  switch (mcpLevel) {
    case 'debug':
      return 'debug';
    case 'info':
    case 'notice':
      return 'info';
    case 'warning':
      return 'warn';
    default:
      return 'error';
  }
}

/** What an error adds to a record: its message, code, and the server's stderr tail when it has one. */
function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return {};
  const { code, stderrTail, exitCode, phase } = error as Error & Record<string, unknown>;
  return {
    error: error.message,
    ...(typeof code === 'string' && { code }),
    ...(typeof phase === 'string' && { phase }),
    ...(typeof exitCode === 'number' && { exitCode }),
    ...(typeof stderrTail === 'string' && stderrTail.trim() !== '' && { stderrTail }),
  };
}

/** A host event handler that writes each event to `logger` at its level. */
export function logHostEvent(logger: Logger): (event: HostEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'server:state': {
        const fields = {
          server: event.server,
          state: event.state,
          previous: event.previous,
          ...errorFields(event.error),
        };
        if (event.state === 'failed' || event.state === 'restarting' || event.state === 'unauthorized')
          logger.warn(fields, `server ${event.state}`);
        else if (event.state === 'ready') logger.info(fields, 'server ready');
        else logger.debug(fields, `server ${event.state}`);
        return;
      }
      case 'server:restart-scheduled':
        logger.info(
          { server: event.server, attempt: event.attempt, delayMs: event.delayMs },
          'server restart scheduled',
        );
        return;
      case 'server:invalid':
        logger.warn(
          { server: event.server, issues: event.issues.map((i) => `${i.path}: ${i.message}`) },
          'server entry invalid',
        );
        return;
      case 'server:added':
      case 'server:removed':
      case 'server:replaced':
        logger.info({ server: event.server }, event.type.replace(':', ' '));
        return;
      case 'session:opened':
        logger.debug(
          { server: event.server, ...(event.key !== undefined && { key: event.key }) },
          'session opened',
        );
        return;
      case 'session:closed':
        logger.debug(
          {
            server: event.server,
            ...(event.key !== undefined && { session: keyLogId(event.key) }),
            reason: event.reason,
          },
          'session closed',
        );
        return;
      case 'tools:changed':
      case 'catalog:changed':
        logger.debug({ server: event.server }, event.type.replace(':', ' '));
        return;
      case 'tools:invalid':
        logger.warn(
          {
            server: event.server,
            tools: event.tools.map((t) => `${t.name ?? `#${t.position}`}: ${t.problem}`),
          },
          'tools left out as malformed',
        );
        return;
      case 'server:log':
        logger[levelOf(event.level)](
          {
            server: event.server,
            ...(event.logger !== undefined && { logger: event.logger }),
            data: event.data,
          },
          'server log',
        );
        return;
      case 'resource:updated':
        logger.debug({ server: event.server, uri: event.uri }, 'resource updated');
        return;
      case 'config:reloaded':
        logger.info({ ...event.summary }, 'config reloaded');
        return;
      case 'config:error':
        logger.warn({ error: event.error.message }, 'config reload failed; the running servers stay');
        return;
    }
  };
}
