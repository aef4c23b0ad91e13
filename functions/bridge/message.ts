// $default: every bridge request. Parse, run once per request id, answer exactly once on the same
// connection through the management API. The logic is core's dispatcher; this is transport.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult } from '@hybrid-runner/aws';
import {
  ClusterUnavailableError,
  failedDispatchResult,
  randomIds,
  type DispatchResult,
} from '@hybrid-runner/core';
import {
  recordBridgeResponse,
  recordThrottledRequest,
  requestLogKeys,
  type RunnerMetrics,
} from '@hybrid-runner/observability';
import { bridgeContext } from '../lib/bridge-context.ts';
import { settleWithin } from '../lib/deadline.ts';
import { describeError, logger } from '../lib/logger.ts';
import { connectionLogContext, webSocketErrorBoundary } from '../lib/middleware.ts';
import { runnerContext } from '../lib/runner-context.ts';
import { senderFor } from '../lib/senders.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

/** API Gateway hands binary frames over base64-encoded; parseFrame takes the bytes and checks the UTF-8. */
function frameOf(event: ApiGatewayWebSocketEvent): string | Buffer {
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '');
}

/** Without a runner context the request still counts, on the connection context's metrics. */
function connectionMetrics(): RunnerMetrics {
  return bridgeContext().metrics;
}

/**
 * Time kept back from the Lambda timeout to send the response (PostToConnection and its retries): a request
 * still running then is answered anyway, since a killed function would answer nothing.
 */
export const RESPONSE_RESERVE_MS = 2_000;

function outOfTime(): ClusterUnavailableError {
  return new ClusterUnavailableError(
    "The runner could not finish this request within its function's time limit: the cluster (or the " +
      "runner's state store) answered too slowly. It may still complete: repeat the request with the same " +
      'id in a few minutes to get its outcome, and check the cluster if this persists.',
  );
}

export async function handleMessage(
  event: ApiGatewayWebSocketEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<ApiGatewayWebSocketResult> {
  const started = performance.now();
  let metrics: RunnerMetrics | undefined;
  const frame = frameOf(event);
  const { connectionId } = event.requestContext;
  let result: DispatchResult;
  const dispatched = runnerContext().then((runner) => {
    metrics = runner.metrics;
    // The frame counts against its connection's rate limit before anything runs.
    return runner.dispatcher.handleFrame(frame, { connectionId });
  });
  try {
    const outcome = context
      ? await settleWithin(dispatched, context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS)
      : { settled: true as const, value: await dispatched };
    // Unsettled: the idempotency claim stays in progress, so a repeat cannot start the operation twice.
    if (!outcome.settled) {
      // Not an unexpected error (no correlation id), but operators need to see why it was answered so.
      logger.warn('Request not finished before the function timeout; answered cluster_unavailable', {
        reserveMs: RESPONSE_RESERVE_MS,
      });
      throw outOfTime();
    }
    result = outcome.value;
  } catch (error) {
    // The runner could not even be assembled (cluster unreachable at cold start, bad configuration),
    // or did not finish in time.
    result = failedDispatchResult(frame, error, randomIds.correlationId(), (report) =>
      logger.error('Request could not be dispatched', {
        correlationId: report.correlationId,
        requestId: report.requestId,
        op: report.op,
        error: describeError(report.error),
      }),
    );
  }
  const { response } = result;
  logger.appendKeys(
    requestLogKeys({
      requestId: response.id,
      ...(response.op ? { operation: response.op } : {}),
      ...result.subject,
    }),
  );
  const delivery = await senderFor(event.requestContext).send(connectionId, result.text);
  if (result.throttled) recordThrottledRequest(metrics ?? connectionMetrics());
  recordBridgeResponse(metrics ?? connectionMetrics(), {
    ...(response.op ? { op: response.op } : {}),
    ok: response.ok,
    // A throttled answer counts as throttled whichever code the client could be sent (v1 clients get a stand-in).
    ...(!response.ok && response.error
      ? { errorCode: result.throttled ? 'throttled' : response.error.code }
      : {}),
    replayed: result.replayed,
    latencyMs: performance.now() - started,
  });
  logger.debug('Request answered', {
    ok: response.ok,
    replayed: result.replayed,
    ...(result.throttled ? { throttled: true } : {}),
    delivery,
  });
  return { statusCode: 200 };
}

export const handler = middy<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult>()
  .use(connectionLogContext())
  .use(webSocketErrorBoundary())
  .use(flushContainerMetrics())
  .handler((event, context) => handleMessage(event, context));
