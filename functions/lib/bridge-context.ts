// Composition root of the connection-level functions ($connect, $disconnect): the connection store, the
// token check and the management API sender, built once per container from the environment (or injected
// by the local stage and tests). Deliberately free of Kubernetes imports so these bundles stay small.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DynamoDbConnectionStore,
  ManagementApiSender,
  connectAuthorizer,
  createManagementApiClient,
  jwksVerifier,
  managementEndpoint,
  secretsManagerTokenProvider,
  type ApiGatewayWebSocketEvent,
  type ConnectAuthorizer,
  type RetryPolicy,
} from '@hybrid-runner/aws';
import { readFunctionEnvironment } from '@hybrid-runner/config';
import { systemClock, type Clock, type ConnectionStore, type Sender } from '@hybrid-runner/core';

/** Optional JWT verification of the bearer token against the Collate server's JWKS. */
export const JWKS_ENV = { url: 'HYBRID_RUNNER_JWKS_URL', issuer: 'HYBRID_RUNNER_JWT_ISSUER' } as const;

export interface ManagementClientOptions {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  retry?: RetryPolicy;
}

export interface BridgeContext {
  agentId: string;
  /** Reported in runnerStatus. */
  runnerVersion: string;
  connections: ConnectionStore;
  authorizer: ConnectAuthorizer;
  clock: Clock;
  /** The sender for the API an event came from (or the configured management endpoint). */
  senderFor(requestContext?: ApiGatewayWebSocketEvent['requestContext']): Sender;
}

export interface BridgeContextOverrides {
  agentId: string;
  runnerVersion: string;
  connections: ConnectionStore;
  authorizer: ConnectAuthorizer;
  clock?: Clock;
  /** Fixed management endpoint (the local stage serves it over plain HTTP). */
  managementEndpoint?: string;
  management?: ManagementClientOptions;
  /** A ready sender for every connection (tests and benchmarks that exclude I/O). */
  sender?: Sender;
}

/** Builds the per-endpoint sender cache; gone connections are dropped from the store by the sender. */
export function senderFactory(
  connections: ConnectionStore,
  fixedEndpoint: string | undefined,
  management: ManagementClientOptions = {},
): BridgeContext['senderFor'] {
  const senders = new Map<string, Sender>();
  return (requestContext) => {
    const endpoint = fixedEndpoint ?? managementEndpoint(requestContext ?? {});
    let sender = senders.get(endpoint);
    if (!sender) {
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
  };
}

function fromOverrides(overrides: BridgeContextOverrides): BridgeContext {
  return {
    agentId: overrides.agentId,
    runnerVersion: overrides.runnerVersion,
    connections: overrides.connections,
    authorizer: overrides.authorizer,
    clock: overrides.clock ?? systemClock,
    senderFor: overrides.sender
      ? () => overrides.sender as Sender
      : senderFactory(overrides.connections, overrides.managementEndpoint, overrides.management),
  };
}

function fromEnvironment(env: NodeJS.ProcessEnv): BridgeContext {
  const functionEnv = readFunctionEnvironment(env);
  const agentId = functionEnv.settings.agentId;
  const connections = new DynamoDbConnectionStore({
    client: new DynamoDBClient({}),
    tableName: functionEnv.connectionsTable,
  });
  const jwksUrl = env[JWKS_ENV.url];
  const issuer = env[JWKS_ENV.issuer];
  const authorizer = connectAuthorizer({
    agentId,
    // The token never sits in the environment: only the secret's ARN does.
    token: secretsManagerTokenProvider({
      client: new SecretsManagerClient({}),
      secretId: functionEnv.authTokenSecret,
      cacheMs: 15 * 60_000,
    }),
    ...(jwksUrl ? { verifyJwt: jwksVerifier({ jwksUrl, ...(issuer ? { issuer } : {}) }) } : {}),
  });
  // Events carry their API's domain and stage; the configured endpoint serves the scheduled functions.
  const fromEvent = senderFactory(connections, undefined);
  const configured = senderFactory(connections, functionEnv.managementEndpoint);
  return {
    agentId,
    runnerVersion: functionEnv.settings.runnerVersion,
    connections,
    authorizer,
    clock: systemClock,
    senderFor: (requestContext) =>
      requestContext?.domainName ? fromEvent(requestContext) : configured(undefined),
  };
}

let current: BridgeContext | undefined;

/** The bridge context of this container: injected, or built from the environment on first use. */
export function bridgeContext(env: NodeJS.ProcessEnv = process.env): BridgeContext {
  current ??= fromEnvironment(env);
  return current;
}

/** For the local stage and tests: use these stand-ins instead of the environment. */
export function configureBridge(overrides: BridgeContextOverrides | undefined): void {
  current = overrides ? fromOverrides(overrides) : undefined;
}
