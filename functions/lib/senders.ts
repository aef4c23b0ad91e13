// The management API senders: one per endpoint (the event's `https://{domainName}/{stage}`, or the
// configured endpoint for scheduled functions), each dropping the records of connections that are gone.
import {
  ManagementApiSender,
  createManagementApiClient,
  managementEndpoint,
  type ApiGatewayWebSocketEvent,
} from '@hybrid-runner/aws';
import { FUNCTION_ENV, readFunctionEnvironment } from '@hybrid-runner/config';
import type { Sender } from '@hybrid-runner/core';
import { bridgeContext, bridgeOverrides, onBridgeReconfigured } from './bridge-context.ts';

const senders = new Map<string, Sender>();
onBridgeReconfigured(() => senders.clear());

/**
 * The sender for the configured management endpoint (HYBRID_RUNNER_MANAGEMENT_ENDPOINT: the API's own,
 * which also works when Collate connects through a custom domain; see config's FUNCTION_ENV), else for the
 * API a WebSocket event came from. Injected stand-ins take precedence.
 */
export function senderFor(
  requestContext?: Pick<ApiGatewayWebSocketEvent['requestContext'], 'domainName' | 'stage'>,
  env: NodeJS.ProcessEnv = process.env,
): Sender {
  const injected = bridgeOverrides();
  if (injected?.sender) return injected.sender;
  const configured = env[FUNCTION_ENV.managementEndpoint];
  const endpoint =
    injected?.managementEndpoint ??
    (configured || !requestContext?.domainName
      ? readFunctionEnvironment(env).managementEndpoint
      : managementEndpoint(requestContext));
  let sender = senders.get(endpoint);
  if (!sender) {
    const connections = bridgeContext(env).connections;
    const management = injected?.management ?? {};
    sender = new ManagementApiSender({
      client: createManagementApiClient({
        endpoint,
        ...(management.region ? { region: management.region } : {}),
        ...(management.credentials ? { credentials: management.credentials } : {}),
      }),
      onGone: (connectionId) => connections.remove(connectionId),
      ...(management.retry ? { retry: management.retry } : {}),
    });
    senders.set(endpoint, sender);
  }
  return sender;
}
