// One HTTP path to the Kubernetes API for every call the adapter makes. TLS and authentication come
// from the loaded KubeConfig (the client library's own `applySecurityAuthentication` and fetch), so a
// kubeconfig, an EKS token or a stand-in behave the same. Here live the per-attempt timeout, the
// retries (only where a repeat cannot do harm), the one-time token refresh on 401, and error mapping.
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext } from '@kubernetes/client-node';
import type { ResponseContext } from '@kubernetes/client-node';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { ClusterConfig } from './cluster-config.ts';
import { classifyNetworkError, errorForStatus, unreachableError, uncertainCreateError } from './errors.ts';
import type { CallDescription } from './errors.ts';
import { DEFAULT_RETRY_POLICY, backoffDelay, parseRetryAfter, sleep } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * How a call may be repeated:
 * - `idempotent`: reads, PUT with resourceVersion, merge patches, deletes – repeat on any transient fault.
 * - `create`: a POST of a named object – repeat; a 409 AlreadyExists after a repeat is reconciled by the caller.
 * - `once`: repeat only when the request provably never reached the server (refused, 429).
 */
export type RetryMode = 'idempotent' | 'create' | 'once';

export interface KubernetesRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, segments already encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  retry: RetryMode;
  call: Omit<CallDescription, 'cluster'>;
  /** Stream the body: the timeout then covers only the wait for response headers. */
  stream?: boolean;
}

export interface KubernetesResponse {
  status: number;
  headers: Record<string, string>;
  /** Whether an earlier attempt of this request may already have applied (for create reconciliation). */
  retried: boolean;
  context: ResponseContext;
  /** Cancels the request (streams: closes the connection). */
  abort(): void;
}

export interface TransportOptions {
  retry?: Partial<RetryPolicy>;
  /** Waits between attempts; tests pass a fast or recording one. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Statuses after which the same request may succeed. 429 and 503 mean "not processed, come back". */
function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** 429 is rejected before processing (API priority and fairness), so even a non-idempotent call is safe to repeat. */
function statusProvesNotApplied(status: number): boolean {
  return status === 429;
}

export class KubernetesTransport {
  readonly config: ClusterConfig;
  readonly policy: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #http = new IsomorphicFetchHttpLibrary();
  #dispatcher: Dispatcher | undefined | null = null;
  /** Round trips sent (attempts included), for tests and benchmarks. */
  requests = 0;

  constructor(config: ClusterConfig, options: TransportOptions = {}) {
    this.config = config;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#sleep = options.sleep ?? sleep;
    this.#random = options.random ?? Math.random;
  }

  /** Sends `request`, retrying per its mode; resolves with any final status (the caller maps non-2xx). */
  async send(
    request: KubernetesRequest,
    acceptStatuses: readonly number[] = [],
  ): Promise<KubernetesResponse> {
    const call: CallDescription = { ...request.call, cluster: this.config.description };
    let refreshedToken = false;
    let mayHaveApplied = false;
    for (let attempt = 1; ; attempt++) {
      const isLast = attempt >= this.policy.maxAttempts;
      let response: KubernetesResponse;
      try {
        response = await this.#attempt(request, mayHaveApplied);
      } catch (error) {
        const { failure, code } = classifyNetworkError(error);
        const retryable = failure === 'not-sent' || (failure === 'maybe-applied' && request.retry !== 'once');
        if (failure === 'fatal' || !retryable || isLast) {
          if (failure === 'maybe-applied' && request.retry === 'once')
            throw uncertainCreateError(call, code, error);
          throw unreachableError(call, code, attempt, error);
        }
        if (failure === 'maybe-applied') mayHaveApplied = true;
        await this.#sleep(backoffDelay(attempt - 1, this.policy, this.#random));
        continue;
      }
      const { status } = response;
      if ((status >= 200 && status < 300) || acceptStatuses.includes(status)) return response;

      if (status === 401 && this.config.tokenProvider && !refreshedToken) {
        // The token expired mid-operation (or credentials rotated): mint once more and repeat.
        await response.context.body.text().catch(() => undefined);
        this.config.tokenProvider.invalidate();
        refreshedToken = true;
        attempt--;
        continue;
      }
      const retryable =
        isRetryableStatus(status) && (request.retry !== 'once' || statusProvesNotApplied(status));
      const retryAfter = parseRetryAfter(response.headers['retry-after']);
      const text = await response.context.body.text().catch(() => '');
      if (!retryable || isLast || (retryAfter !== undefined && retryAfter > this.policy.maxRetryAfterMs)) {
        throw errorForStatus(status, text, call);
      }
      if (!statusProvesNotApplied(status)) mayHaveApplied = true;
      await this.#sleep(retryAfter ?? backoffDelay(attempt - 1, this.policy, this.#random));
    }
  }

  /** Sends and parses a JSON response body; `acceptStatuses` resolve to `undefined`. */
  async json<T>(
    request: KubernetesRequest,
    acceptStatuses: readonly number[] = [],
  ): Promise<{ value: T | undefined; response: KubernetesResponse }> {
    const response = await this.send(request, acceptStatuses);
    const text = await response.context.body.text();
    if (acceptStatuses.includes(response.status)) return { value: undefined, response };
    try {
      return { value: JSON.parse(text) as T, response };
    } catch (error) {
      throw new ClusterUnavailableError(
        `The Kubernetes API of ${this.config.description} answered ${request.call.verb} ${request.call.resource} ` +
          'with something that is not JSON: check that the endpoint is a Kubernetes API server and not a proxy.',
        { cause: error },
      );
    }
  }

  async #attempt(request: KubernetesRequest, retried: boolean): Promise<KubernetesResponse> {
    const url = new URL(request.path, this.config.server);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const context = new RequestContext(url.toString(), HttpMethod[request.method]);
    context.setHeaderParam('Accept', request.accept ?? 'application/json');
    if (request.body !== undefined) {
      context.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
      context.setBody(JSON.stringify(request.body));
    }
    await this.config.kubeConfig.applySecurityAuthentication(context);
    // The client builds a new connection pool per call; keep the first so connections are reused.
    if (this.#dispatcher === null) this.#dispatcher = context.getDispatcher();
    if (this.#dispatcher) context.setDispatcher(this.#dispatcher);

    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`Timed out after ${this.policy.timeoutMs} ms`, 'TimeoutError')),
      this.policy.timeoutMs,
    );
    context.setSignal(controller.signal);
    this.requests++;
    try {
      const responseContext = await this.#http.send(context).toPromise();
      if (request.stream) {
        clearTimeout(timer);
      } else {
        // Buffer now, still under the timeout, so a stalled body counts as a failed attempt.
        const buffered = await responseContext.body.text();
        responseContext.body = {
          text: async () => buffered,
          binary: async () => Buffer.from(buffered, 'utf8'),
          stream: () => null,
        };
      }
      return {
        status: responseContext.httpStatusCode,
        headers: responseContext.headers,
        retried,
        context: responseContext,
        abort: () => controller.abort(),
      };
    } catch (error) {
      clearTimeout(timer);
      if (controller.signal.aborted) {
        throw Object.assign(new Error(`Kubernetes API call timed out after ${this.policy.timeoutMs} ms`), {
          code: 'ETIMEDOUT',
          cause: error,
        });
      }
      throw error;
    } finally {
      if (!request.stream) clearTimeout(timer);
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = null;
    if (dispatcher) await dispatcher.close();
  }
}
