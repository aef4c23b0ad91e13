// $default: every bridge request. Answer exactly once on the same connection through the management API.
// The request handling is shared with the outbound keeper (lib/bridge-request.ts); this is transport.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult } from '@hybrid-runner/aws';
import { answerFrame, recordAnswer, requestKeysOf } from '../lib/bridge-request.ts';
import { logger } from '../lib/logger.ts';
import { connectionLogContext, webSocketErrorBoundary } from '../lib/middleware.ts';
import { senderFor } from '../lib/senders.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

export { RESPONSE_RESERVE_MS } from '../lib/bridge-request.ts';

/** API Gateway hands binary frames over base64-encoded; parseFrame takes the bytes and checks the UTF-8. */
function frameOf(event: ApiGatewayWebSocketEvent): string | Buffer {
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '');
}

export async function handleMessage(
  event: ApiGatewayWebSocketEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<ApiGatewayWebSocketResult> {
  const { connectionId } = event.requestContext;
  // The frame counts against its connection's rate limit before anything runs.
  const answered = await answerFrame(frameOf(event), {
    ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    source: { connectionId },
  });
  logger.appendKeys(requestKeysOf(answered));
  const delivery = await senderFor(event.requestContext).send(connectionId, answered.result.text);
  recordAnswer(answered);
  logger.debug('Request answered', {
    ok: answered.result.response.ok,
    replayed: answered.result.replayed,
    ...(answered.result.throttled ? { throttled: true } : {}),
    delivery,
  });
  return { statusCode: 200 };
}

export const handler = middy<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult>()
  .use(connectionLogContext())
  .use(webSocketErrorBoundary())
  .use(flushContainerMetrics())
  .handler((event, context) => handleMessage(event, context));
