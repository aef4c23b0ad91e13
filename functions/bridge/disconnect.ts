// $disconnect: forget the connection (API Gateway delivers this on a best-effort basis; the record's TTL
// and the sender's gone handling cover the misses).
import middy from '@middy/core';
import type { ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult } from '@hybrid-runner/aws';
import { bridgeContext } from '../lib/bridge-context.ts';
import { logger } from '../lib/logger.ts';
import { connectionLogContext, webSocketErrorBoundary } from '../lib/middleware.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

export async function handleDisconnect(event: ApiGatewayWebSocketEvent): Promise<ApiGatewayWebSocketResult> {
  await bridgeContext().connections.remove(event.requestContext.connectionId);
  logger.info('Connection closed', {
    disconnectStatusCode: event.requestContext.disconnectStatusCode,
    disconnectReason: event.requestContext.disconnectReason,
  });
  return { statusCode: 200 };
}

export const handler = middy<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult>()
  .use(connectionLogContext())
  .use(webSocketErrorBoundary())
  .use(flushContainerMetrics())
  .handler(handleDisconnect);
