// Kubernetes API failures mapped to core's errors, with messages that say what to check. A Status body's
// message is passed on (shortened): it names fields and objects, never Secret data.
import {
  ClusterUnavailableError,
  ConflictError,
  ForbiddenError,
  InvalidObjectError,
  NotFoundError,
  RunnerError,
} from '@hybrid-runner/core';

/** What a request was doing, for messages: the RBAC verb, the resource (`workflows.argoproj.io`) and namespace. */
export interface CallDescription {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  /** Where the cluster is (`EKS cluster x in eu-west-1`, `kubeconfig context y`), for unreachable errors. */
  cluster: string;
}

/** A Kubernetes `Status` object, as error responses carry it. */
export interface KubernetesStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: Array<{ field?: string; message?: string; reason?: string }>;
  };
}

const MAX_STATUS_MESSAGE = 500;

export function parseStatus(text: string): KubernetesStatus | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && (parsed as KubernetesStatus).kind === 'Status') {
      return parsed as KubernetesStatus;
    }
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  return undefined;
}

function shorten(message: string): string {
  return message.length > MAX_STATUS_MESSAGE ? `${message.slice(0, MAX_STATUS_MESSAGE)}…` : message;
}

function target(call: CallDescription): string {
  const object = call.name ? `${call.resource} "${call.name}"` : call.resource;
  return call.namespace ? `${object} in namespace ${call.namespace}` : object;
}

/** 401: the credentials were not accepted at all (as opposed to 403, accepted but not allowed). */
export class UnauthenticatedError extends ForbiddenError {
  constructor(call: CallDescription, options?: { cause?: unknown }) {
    super(call.verb, call.resource, call.namespace, options);
    this.message =
      `The Kubernetes API of ${call.cluster} refused the runner's credentials (401) when it tried to ${call.verb} ` +
      `${target(call)}: check that the function's IAM role has an EKS access entry (or the kubeconfig user is valid).`;
  }
}

/** 410 Gone on a paged list: the continue token outlived etcd's compaction; the caller lists again from the start. */
export class ExpiredListError extends ConflictError {}

/** Error of a response with status `status`; `text` is the response body. */
export function errorForStatus(status: number, text: string, call: CallDescription): RunnerError {
  const body = parseStatus(text);
  const detail = body?.message ? `: ${shorten(body.message)}` : '';
  const cause = { cause: body ?? { code: status } };
  switch (status) {
    case 401:
      return new UnauthenticatedError(call, cause);
    case 403:
      return new ForbiddenError(call.verb, call.resource, call.namespace, cause);
    case 404:
      return new NotFoundError(`${target(call)} was not found${detail}`, cause);
    case 409:
      return new ConflictError(
        body?.reason === 'AlreadyExists'
          ? `${target(call)} already exists${detail}`
          : `${target(call)} was changed by someone else; read it again and retry${detail}`,
        cause,
      );
    case 410:
      return new ExpiredListError(
        `The list of ${target(call)} expired while paging; list again from the start${detail}`,
        cause,
      );
    case 422:
      return new InvalidObjectError(`The cluster rejected ${target(call)} as invalid${detail}`, cause);
    case 429:
      return new ClusterUnavailableError(
        `The Kubernetes API of ${call.cluster} kept throttling the runner (429) for ${call.verb} ${target(call)}: ` +
          'retry later, or raise the API priority and fairness limits for the runner.',
        cause,
      );
    default:
      if (status >= 500) {
        return new ClusterUnavailableError(
          `The Kubernetes API of ${call.cluster} failed with ${status} for ${call.verb} ${target(call)}${detail}: ` +
            "check the control plane's health and retry later.",
          cause,
        );
      }
      return new RunnerError(
        'internal',
        `The Kubernetes API answered ${status} to ${call.verb} ${target(call)}${detail}`,
        cause,
      );
  }
}

/** Why a request got no response: decides whether it may be retried and what the message says. */
export type NetworkFailure =
  /** The request never reached the server (refused, DNS): safe to retry any call. */
  | 'not-sent'
  /** The request may have been processed (reset, timeout): retry only idempotent calls. */
  | 'maybe-applied'
  /** Retrying cannot help (TLS verification failed). */
  | 'fatal';

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyNetworkError(error: unknown): { failure: NetworkFailure; code: string } {
  const code = errorCode(error) ?? (error instanceof Error ? error.name : 'unknown');
  if (NOT_SENT_CODES.has(code)) return { failure: 'not-sent', code };
  if (/CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS|HOSTNAME|ALTNAME/i.test(code))
    return { failure: 'fatal', code };
  return { failure: 'maybe-applied', code };
}

export function unreachableError(
  call: CallDescription,
  code: string,
  attempts: number,
  cause: unknown,
): ClusterUnavailableError {
  if (classifyNetworkError(cause).failure === 'fatal') {
    return new ClusterUnavailableError(
      `The Kubernetes API of ${call.cluster} failed TLS verification (${code}): check the cluster's CA ` +
        '(DescribeCluster certificate authority or kubeconfig certificate-authority-data).',
      { cause },
    );
  }
  return new ClusterUnavailableError(
    `The Kubernetes API of ${call.cluster} could not be reached to ${call.verb} ${target(call)} ` +
      `(${code}, ${attempts} attempt${attempts === 1 ? '' : 's'}): check the cluster endpoint, that the ` +
      "function's network (VPC, security groups) can reach it, and that the control plane is up.",
    { cause },
  );
}

/** A create that failed in a way that may have applied, and could not be reconciled. */
export function uncertainCreateError(
  call: CallDescription,
  code: string,
  cause: unknown,
): ClusterUnavailableError {
  return new ClusterUnavailableError(
    `The connection to ${call.cluster} failed (${code}) while creating ${target(call)}; it may or may not ` +
      'have been created, so the runner did not retry blindly: check the cluster and retry the request.',
    { cause },
  );
}
