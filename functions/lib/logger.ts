// One structured logger for the bridge functions (Powertools: JSON lines, Lambda context, log level from
// POWERTOOLS_LOG_LEVEL). Nothing here logs event bodies or headers: they carry the bot JWT and configs.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hybrid-runner-bridge',
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
