// The management API senders: one per endpoint (the event's `https://{domainName}/{stage}`, or the
// configured endpoint for scheduled functions), each dropping the records of connections that are gone.
import {
  ManagementApiSender,
  createManagementApiClient,
  managementEndpoint,
  type ApiGatewayWebSocketEvent,
} from '@hybrid-runner/aws';
import { readFunctionEnvironment, requireInbound } from '@hybrid-runner/config';
import type { Sender } from '@hybrid-runner/core';
import { bridgeContext, bridgeOverrides, onBridgeReconfigured } from './bridge-context.ts';

const senders = new Map<string, Sender>();
onBridgeReconfigured(() => senders.clear());

function endpointOfEvent(
  requestContext: Pick<ApiGatewayWebSocketEvent['requestContext'], 'domainName' | 'stage'> | undefined,
): string {
  if (!requestContext?.domainName) {
    throw new Error(
      'No management endpoint: inject one with configureBridge (managementEndpoint or sender).',
    );
  }
  return managementEndpoint(requestContext);
}

/**
 * The sender for the configured management endpoint (HYBRID_RUNNER_MANAGEMENT_ENDPOINT: the API's own, for
 * WebSocket routes and the heartbeat alike; it also works when Collate connects through a custom domain,
 * whose host is not a management endpoint; see config's FUNCTION_ENV). Injected stand-ins take precedence;
 * without an endpoint of their own they answer on the API the event came from.
 */
export function senderFor(
  requestContext?: Pick<ApiGatewayWebSocketEvent['requestContext'], 'domainName' | 'stage'>,
  env: NodeJS.ProcessEnv = process.env,
): Sender {
  const injected = bridgeOverrides();
  if (injected?.sender) return injected.sender;
  const endpoint = injected
    ? (injected.managementEndpoint ?? endpointOfEvent(requestContext))
    : requireInbound(readFunctionEnvironment(env), 'managementEndpoint');
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
