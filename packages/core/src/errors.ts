// The runner's error hierarchy. Every error carries the bridge protocol's error code, a message for
// people (what was wrong and what to do, never a secret value) and, where there is one, its `cause`.
import type { ErrorCode } from '@hybrid-runner/protocol';

export class RunnerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class BadRequestError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_request', message, options);
  }
}

export class NotFoundError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
  }
}

export class ConflictError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

export class SecretReferenceError extends RunnerError {
  readonly field: string;
  readonly reference: string;
  constructor(field: string, reference: string, message: string) {
    super('secret_reference_invalid', message);
    this.field = field;
    this.reference = reference;
  }
}

/** The cluster could not be reached or refused us: retrying later or fixing access is the user's move. */
export class ClusterUnavailableError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('cluster_unavailable', message, options);
  }
}

/** 401/403 from the API server; names the verb and resource so RBAC can be fixed. */
export class ForbiddenError extends ClusterUnavailableError {
  readonly verb: string;
  readonly resource: string;
  constructor(verb: string, resource: string, namespace: string | undefined, options?: { cause?: unknown }) {
    super(
      `The runner is not allowed to ${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ''}: ` +
        `grant the verb "${verb}" on "${resource}" to the runner's Kubernetes group (see docs/deploy.md).`,
      options,
    );
    this.verb = verb;
    this.resource = resource;
  }
}

/** 422 from the API server: the object we built is invalid. A bug on our side, reported as internal. */
export class InvalidObjectError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, options);
  }
}

export function isRunnerError(error: unknown): error is RunnerError {
  return error instanceof RunnerError;
}
