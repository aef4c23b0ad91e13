// Errors of the registry login, and how the refresh words any error for its report (never a secret).
import { RunnerError } from '../errors.ts';

/** The registry refused the login (bad keys, no permission) or answered nonsense. */
export class RegistryLoginError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, options);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
