// The local stage's bridge in inbound mode (bridge.mode: inbound): the WebSocket API Collate dials, in front
// of the real connect, disconnect and message handlers.
import { FUNCTION_ENV } from '@hybrid-runner/config';
import {
  startLocalApiGateway,
  type LocalApiGateway,
  type LocalApiGatewayHandlers,
} from './apigateway/gateway.ts';
import type { Cleanups } from './cleanups.ts';

/** What the stage needs of the WebSocket API in front of the handlers. */
export type WebSocketApi = Pick<LocalApiGateway, 'url' | 'managementEndpoint' | 'close'>;

/**
 * Starts the WebSocket API in front of the bridge handlers: by default the local API Gateway stand-in; a test
 * can put another emulation there (serverless-offline) to check the same handlers against it.
 */
export type WebSocketApiStarter = (options: {
  handlers: LocalApiGatewayHandlers;
  port: number;
  onHandlerError: (route: string, error: unknown) => void;
}) => Promise<WebSocketApi>;

/**
 * Starts the WebSocket API on `port` and points the handlers' senders at its management API
 * (HYBRID_RUNNER_MANAGEMENT_ENDPOINT), which exists only once the API listens.
 */
export async function startInboundBridge(
  options: {
    handlers: LocalApiGatewayHandlers;
    port: number;
    /** Default: the local API Gateway stand-in (startLocalApiGateway). */
    webSocketApi?: WebSocketApiStarter | undefined;
    log: (message: string) => void;
  },
  cleanups: Cleanups,
): Promise<WebSocketApi> {
  const startWebSocketApi: WebSocketApiStarter = options.webSocketApi ?? startLocalApiGateway;
  const api = await startWebSocketApi({
    handlers: options.handlers,
    port: options.port,
    onHandlerError: (route, error) =>
      options.log(`handler ${route} failed: ${(error as Error).stack ?? String(error)}`),
  });
  cleanups.add(() => api.close());
  process.env[FUNCTION_ENV.managementEndpoint] = api.managementEndpoint;
  return api;
}
