// The request path every bridge transport shares: the $default route (Collate connected in through API Gateway)
// and the outbound keeper (the runner dialled out to Collate). Parse, run once per request id through core's
// dispatcher within the time left, and record the answer; only the delivery of the text differs per transport.
import {
  ClusterUnavailableError,
  failedDispatchResult,
  randomIds,
  type DispatchResult,
  type FrameSource,
} from '@hybrid-runner/core';
import {
  recordBridgeResponse,
  recordThrottledRequest,
  requestLogKeys,
  type RunnerMetrics,
} from '@hybrid-runner/observability';
import { bridgeContext } from './bridge-context.ts';
import { settleWithin } from './deadline.ts';
import { describeError, logger } from './logger.ts';
import { runnerContext } from './runner-context.ts';

/**
 * Time kept back from the Lambda timeout to send the response (and its retries): a request still running then
 * is answered anyway, since a killed function would answer nothing.
 */
export const RESPONSE_RESERVE_MS = 2_000;

function outOfTime(): ClusterUnavailableError {
  return new ClusterUnavailableError(
    "The runner could not finish this request within its function's time limit: the cluster (or the " +
      "runner's state store) answered too slowly. It may still complete: repeat the request with the same " +
      'id in a few minutes to get its outcome, and check the cluster if this persists.',
  );
}

export interface AnsweredFrame {
  result: DispatchResult;
  /** The runner context's metrics, or the transport's fallback when the runner could not be assembled. */
  metrics: RunnerMetrics;
  /** performance.now() when the frame arrived, for the latency metric. */
  started: number;
}

/**
 * The response to one frame, never throwing: a runner that cannot be assembled (cluster unreachable at cold
 * start, bad configuration) or a request that outlives `remainingMs()` minus `reserveMs` is answered
 * `cluster_unavailable`. Unsettled requests keep their idempotency claim, so a repeat cannot start them twice.
 */
export interface AnswerOptions {
  /** Time left to answer in (absent: no limit). */
  remainingMs?: () => number;
  /** Kept back from remainingMs for the delivery; default RESPONSE_RESERVE_MS (PostToConnection and retries). */
  reserveMs?: number;
  /** Metrics when the runner context cannot be assembled; default: the connection context's. */
  fallbackMetrics?: () => RunnerMetrics;
  /** The inbound connection, whose rate limit the frame counts against (absent: no limit, the keeper's case). */
  source?: FrameSource;
}

export async function answerFrame(
  frame: string | Buffer,
  options: AnswerOptions = {},
): Promise<AnsweredFrame> {
  const { remainingMs, reserveMs = RESPONSE_RESERVE_MS, source } = options;
  const fallbackMetrics = options.fallbackMetrics ?? (() => bridgeContext().metrics);
  const started = performance.now();
  let metrics: RunnerMetrics | undefined;
  let result: DispatchResult;
  const dispatched = runnerContext().then((runner) => {
    metrics = runner.metrics;
    return runner.dispatcher.handleFrame(frame, source);
  });
  try {
    const outcome = remainingMs
      ? await settleWithin(dispatched, remainingMs() - reserveMs)
      : { settled: true as const, value: await dispatched };
    if (!outcome.settled) {
      // Not an unexpected error (no correlation id), but operators need to see why it was answered so.
      logger.warn('Request not finished before the function timeout; answered cluster_unavailable', {
        reserveMs,
      });
      throw outOfTime();
    }
    result = outcome.value;
  } catch (error) {
    result = failedDispatchResult(frame, error, randomIds.correlationId(), (report) =>
      logger.error('Request could not be dispatched', {
        correlationId: report.correlationId,
        requestId: report.requestId,
        op: report.op,
        error: describeError(report.error),
      }),
    );
  }
  return { result, metrics: metrics ?? fallbackMetrics(), started };
}

/** Log keys of the answered request (id, operation, pipeline), for the lines that follow. */
export function requestKeysOf(answered: AnsweredFrame): Record<string, unknown> {
  const { response } = answered.result;
  return requestLogKeys({
    requestId: response.id,
    ...(response.op ? { operation: response.op } : {}),
    ...answered.result.subject,
  });
}

/** The response metrics, once the answer was handed to the transport. */
export function recordAnswer(answered: AnsweredFrame): void {
  const { response, throttled } = answered.result;
  if (throttled) recordThrottledRequest(answered.metrics);
  recordBridgeResponse(answered.metrics, {
    ...(response.op ? { op: response.op } : {}),
    ok: response.ok,
    // A throttled answer counts as throttled whichever code the client could be sent (v1 clients get a stand-in).
    ...(!response.ok && response.error ? { errorCode: throttled ? 'throttled' : response.error.code } : {}),
    replayed: answered.result.replayed,
    latencyMs: performance.now() - answered.started,
  });
}
