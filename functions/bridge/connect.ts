// $connect: admit Collate when it connects from an allowed source with this runner's bot token and agent id,
// and remember the connection. 403 for a source outside bridge.allowedSourceCidrs (checked first, before any
// secret is read), 401 for a missing or wrong token, 403 for the right token and another agent id.
import middy from '@middy/core';
import {
  connectionTtl,
  type ApiGatewayWebSocketEvent,
  type ApiGatewayWebSocketResult,
} from '@hybrid-runner/aws';
import { recordHandshake, recordSourceRefused } from '@hybrid-runner/observability';
import { allowedSources, authorizer } from '../lib/authorizer.ts';
import { bridgeContext } from '../lib/bridge-context.ts';
import { logger } from '../lib/logger.ts';
import { connectionLogContext, webSocketErrorBoundary } from '../lib/middleware.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

const REFUSED_BODY = { 401: 'Unauthorized', 403: 'Forbidden' } as const;

export async function handleConnect(event: ApiGatewayWebSocketEvent): Promise<ApiGatewayWebSocketResult> {
  const context = bridgeContext();
  const { connectionId, identity } = event.requestContext;
  // API Gateway's own view of the TCP peer; X-Forwarded-For is the client's to write, so it is never consulted.
  if (!allowedSources().allows(identity.sourceIp)) {
    recordSourceRefused(context.metrics);
    logger.warn('Connection refused: source outside bridge.allowedSourceCidrs', {
      status: 403,
      sourceIp: identity.sourceIp,
    });
    return { statusCode: 403, body: REFUSED_BODY[403] };
  }
  const decision = await authorizer().authorize(event.headers);
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
  // Which token a connection used shows when Collate has switched during a rotation (docs/operations.md).
  logger.info('Connection opened', { sourceIp: identity.sourceIp, tokenUsed: decision.token });
  return { statusCode: 200 };
}

export const handler = middy<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult>()
  .use(connectionLogContext())
  .use(webSocketErrorBoundary())
  .use(flushContainerMetrics())
  .handler(handleConnect);
