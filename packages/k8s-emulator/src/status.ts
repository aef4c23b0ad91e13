// Kubernetes `Status` error bodies, shaped and worded like a real API server's, so clients that parse
// `reason`, `code` and `details` (and people who read `message`) see what they would in a cluster.

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Thrown anywhere in request handling; the server turns it into a Status response. */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  readonly headers: Record<string, string>;
  constructor(
    code: number,
    reason: string,
    message: string,
    details?: StatusDetails,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** What a resource is called in messages: `pods` for the core group, `workflows.argoproj.io` otherwise. */
export interface ResourceName {
  group: string;
  plural: string;
}

export function qualifiedResource(resource: ResourceName): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function details(resource: ResourceName, name: string | undefined): StatusDetails {
  return {
    ...(name !== undefined ? { name } : {}),
    ...(resource.group ? { group: resource.group } : {}),
    kind: resource.plural,
  };
}

export function notFound(resource: ResourceName, name: string): KubeApiError {
  return new KubeApiError(
    404,
    'NotFound',
    `${qualifiedResource(resource)} "${name}" not found`,
    details(resource, name),
  );
}

export function alreadyExists(resource: ResourceName, name: string): KubeApiError {
  return new KubeApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(resource)} "${name}" already exists`,
    details(resource, name),
  );
}

export function conflict(resource: ResourceName, name: string, why: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`,
    details(resource, name),
  );
}

export const STALE_OBJECT_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid, with one cause per problem, like a real server's field validation. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const summary = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
  const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new KubeApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes,
  });
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

export function unauthorized(): KubeApiError {
  // A real server says only "Unauthorized": the reason a token failed is logged server-side, never returned.
  return new KubeApiError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(
  user: string,
  verb: string,
  resource: ResourceName & { subresource?: string },
  namespace: string | undefined,
  name: string | undefined,
): KubeApiError {
  const full = resource.subresource ? `${resource.plural}/${resource.subresource}` : resource.plural;
  const subject =
    name !== undefined ? `${qualifiedResource(resource)} "${name}"` : qualifiedResource(resource);
  const scope = namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return new KubeApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${full}" in API group "${resource.group}" ${scope}`,
    details(resource, name),
  );
}

export function methodNotAllowed(method: string): KubeApiError {
  return new KubeApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

export function unsupportedMediaType(contentType: string, accepted: string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function tooManyRequests(retryAfterSeconds: number): KubeApiError {
  return new KubeApiError(
    429,
    'TooManyRequests',
    'Too many requests, please try again later.',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function internalError(message: string): KubeApiError {
  return new KubeApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function serviceUnavailable(): KubeApiError {
  return new KubeApiError(503, 'ServiceUnavailable', 'The server is currently unable to handle the request');
}

export function expired(message: string): KubeApiError {
  return new KubeApiError(410, 'Expired', message);
}
