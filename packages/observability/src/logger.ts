// The runner's structured logger: Powertools Logger (JSON lines, Lambda context, level from
// POWERTOOLS_LOG_LEVEL) with the redacting replacer on every line, and fixed key names for the request
// context so a query can follow one request or one run across functions.
import { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { redactingReplacer } from './redaction.ts';

type ConstructorOptions = NonNullable<ConstructorParameters<typeof Logger>[0]>;

/** The context keys of every log line that concerns a request or a run (CloudWatch Logs Insights fields). */
export const LOG_KEYS = {
  requestId: 'requestId',
  connectionId: 'connectionId',
  operation: 'operation',
  pipeline: 'pipeline',
  runId: 'runId',
} as const;

export interface RequestLogContext {
  /** The bridge request id (the `id` Collate chose). */
  requestId?: string | null;
  connectionId?: string;
  operation?: string;
  /** The pipeline's fully qualified name. */
  pipeline?: string;
  runId?: string;
}

/** The context as log keys, leaving out what is unknown. */
export function requestLogKeys(context: RequestLogContext): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const name of Object.keys(LOG_KEYS) as Array<keyof typeof LOG_KEYS>) {
    const value = context[name];
    if (typeof value === 'string' && value) keys[LOG_KEYS[name]] = value;
  }
  return keys;
}

export interface RunnerLoggerOptions {
  /** Default: POWERTOOLS_SERVICE_NAME, else `hybrid-runner`. */
  serviceName?: string;
  /** Default: POWERTOOLS_LOG_LEVEL, else INFO. */
  logLevel?: ConstructorOptions['logLevel'];
  persistentKeys?: Record<string, string>;
}

/** A Powertools Logger whose every line is redacted (registered secrets, credential shapes, sensitive keys). */
export function createLogger(options: RunnerLoggerOptions = {}): Logger {
  return new Logger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'hybrid-runner',
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.persistentKeys ? { persistentKeys: options.persistentKeys } : {}),
    jsonReplacerFn: redactingReplacer,
  });
}

/**
 * Middy middleware: adds the request context an event carries to every line of the invocation, and
 * removes it afterwards (containers are reused; keys must not leak into the next invocation).
 */
export function logRequestContext<Event, Result>(
  logger: Logger,
  contextOf: (event: Event) => RequestLogContext,
): MiddlewareObj<Event, Result> {
  return {
    name: 'logRequestContext',
    before: (request) => {
      logger.appendKeys(requestLogKeys(contextOf(request.event)));
    },
    after: () => logger.resetKeys(),
    onError: () => logger.resetKeys(),
  };
}
