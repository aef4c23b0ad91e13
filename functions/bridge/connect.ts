// $connect: admit Collate when it presents this runner's bot token and agent id, and remember the
// connection. 401 for a missing or wrong token, 403 for the right token and another agent id.
import middy from '@middy/core';
import {
  connectionTtl,
  type ApiGatewayWebSocketEvent,
  type ApiGatewayWebSocketResult,
} from '@hybrid-runner/aws';
import { recordHandshake } from '@hybrid-runner/observability';
import { authorizer } from '../lib/authorizer.ts';
import { bridgeContext } from '../lib/bridge-context.ts';
import { logger } from '../lib/logger.ts';
import { connectionLogContext, webSocketErrorBoundary } from '../lib/middleware.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

const REFUSED_BODY = { 401: 'Unauthorized', 403: 'Forbidden' } as const;

export async function handleConnect(event: ApiGatewayWebSocketEvent): Promise<ApiGatewayWebSocketResult> {
  const context = bridgeContext();
  const decision = await authorizer().authorize(event.headers);
  const { connectionId, identity } = event.requestContext;
  if (decision.status !== 200) {
    recordHandshake(context.metrics, false);
    logger.warn('Connection refused', {
      status: decision.status,
      reason: decision.reason,
      sourceIp: identity.sourceIp,
    });
    return { statusCode: decision.status, body: REFUSED_BODY[decision.status] };
  }
  const connectedAt = event.requestContext.requestTimeEpoch ?? context.clock.now().getTime();
  await context.connections.put({
    connectionId,
    agentId: decision.agentId,
    connectedAt,
    sourceIp: identity.sourceIp,
    ttl: connectionTtl(connectedAt),
  });
  recordHandshake(context.metrics, true);
  logger.info('Connection opened', { sourceIp: identity.sourceIp });
  return { statusCode: 200 };
}

export const handler = middy<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult>()
  .use(connectionLogContext())
  .use(webSocketErrorBoundary())
  .use(flushContainerMetrics())
  .handler(handleConnect);
