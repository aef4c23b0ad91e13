// One structured logger for the functions (Powertools: JSON lines, Lambda context, log level from
// POWERTOOLS_LOG_LEVEL), every line passed through the redacting replacer. Nothing here logs event bodies
// or headers: they carry the bot JWT and configs.
import { OBSERVABILITY_ENV, createLogger } from '@hybrid-runner/observability';

export const logger = createLogger({
  serviceName: process.env[OBSERVABILITY_ENV.serviceName] ?? 'hybrid-runner-bridge',
});

/** What may be logged about an error: its type, code and message (our messages never hold secrets), stack. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { name: typeof error, message: 'non-Error value thrown' };
}
