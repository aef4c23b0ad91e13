// Cross-cutting concerns of the WebSocket route handlers, as middy middleware.
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult } from '@hybrid-runner/aws';
import { requestLogKeys } from '@hybrid-runner/observability';
import { describeError, logger } from './logger.ts';

/** Adds the connection and route to every log line of the invocation (never headers or body). */
export function connectionLogContext(): MiddlewareObj<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult> {
  return {
    name: 'connectionLogContext',
    before: (request) => {
      const { connectionId, routeKey, requestId } = request.event.requestContext ?? {};
      logger.appendKeys({
        ...requestLogKeys({ connectionId }),
        ...(routeKey ? { routeKey } : {}),
        ...(requestId ? { apiRequestId: requestId } : {}),
      });
    },
    after: () => {
      logger.resetKeys();
    },
  };
}

/**
 * Last line of defence: an error that escaped the handler is logged (without secrets) and becomes a 500,
 * which API Gateway turns into a refused handshake ($connect) or a generic error for the client.
 */
export function webSocketErrorBoundary(): MiddlewareObj<ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult> {
  return {
    name: 'webSocketErrorBoundary',
    onError: (request) => {
      logger.error('WebSocket route failed', { error: describeError(request.error) });
      logger.resetKeys();
      request.response = { statusCode: 500 };
    },
  };
}

/** Lambda context in tests and the local stage carries the same fields; this narrows what handlers use. */
export type HandlerContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;
