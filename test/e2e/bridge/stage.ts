// The bridge as the local stage runs it, for end-to-end tests: the real Lambda handlers behind the local
// API Gateway stand-in, connections and idempotency in dynalite (real DynamoDB wire protocol), the
// management API reached by the real SDK client, and core's real operations over a ClusterPort (the
// in-memory FakeCluster by default, or the Kubernetes emulator through the real adapter).
import {
  ManagementApiSender,
  DynamoDbConnectionStore,
  DynamoDbCursorStore,
  DynamoDbIdempotencyStore,
  connectAuthorizer,
  createManagementApiClient,
} from '@hybrid-runner/aws';
import {
  defaultRunnerSettings,
  type ClusterPort,
  type Operations,
  type RunnerSettings,
} from '@hybrid-runner/core';
import { createMetrics } from '@hybrid-runner/observability';
import { startLocalApiGateway, type LocalApiGateway, type LocalApiGatewayLimits } from '@hybrid-runner/local';
import { handler as connect } from '../../../functions/bridge/connect.ts';
import { handler as disconnect } from '../../../functions/bridge/disconnect.ts';
import { handler as message } from '../../../functions/bridge/message.ts';
import { handleHeartbeat, type HeartbeatResult } from '../../../functions/schedule/heartbeat.ts';
import { configureBridge } from '../../../functions/lib/bridge-context.ts';
import { configureRunner } from '../../../functions/lib/runner-context.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { FakeCluster } from '../../support/fake-cluster.ts';
import { TEST_CREDENTIALS, startDynalite, type TestDynamoDb } from '../../support/dynalite.ts';

export const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.e2e-bot-token-never-echoed.c2lnbmF0dXJl';
export const AGENT_ID = 'aws-e2e';

export interface BridgeStage {
  url: string;
  gateway: LocalApiGateway;
  db: TestDynamoDb;
  cluster: ClusterPort;
  settings: RunnerSettings;
  connections: DynamoDbConnectionStore;
  /** A sender on the stage's management API, as the heartbeat function uses. */
  sender: ManagementApiSender;
  handlerErrors: unknown[];
  heartbeat(remainingMs?: number): Promise<HeartbeatResult>;
  close(): Promise<void>;
}

export async function startBridgeStage(
  options: {
    limits?: Partial<LocalApiGatewayLimits>;
    cluster?: ClusterPort;
    operations?: Operations;
    settings?: Partial<RunnerSettings>;
  } = {},
): Promise<BridgeStage> {
  // Keep test output readable; POWERTOOLS_LOG_LEVEL=DEBUG shows the handlers' log lines.
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('ERROR');
  const db = await startDynalite();
  const handlerErrors: unknown[] = [];
  const gateway = await startLocalApiGateway({
    handlers: { connect, disconnect, message },
    ...(options.limits ? { limits: options.limits } : {}),
    onHandlerError: (_route, error) => handlerErrors.push(error),
  });
  const settings = defaultRunnerSettings({ agentId: AGENT_ID, ...options.settings });
  const cluster = options.cluster ?? new FakeCluster();
  const connections = new DynamoDbConnectionStore({ client: db.client, tableName: db.connectionsTable });
  const management = { region: 'eu-west-1', credentials: TEST_CREDENTIALS };
  // Recorded (metricsSnapshot) but not printed: thousands of requests would bury the test output.
  const metrics = createMetrics({ stage: 'e2e', agentId: AGENT_ID, sink: () => undefined });
  configureBridge({
    agentId: AGENT_ID,
    runnerVersion: settings.runnerVersion,
    connections,
    authorizer: connectAuthorizer({ token: async () => TOKEN, agentId: AGENT_ID }),
    managementEndpoint: gateway.managementEndpoint,
    management,
    metrics,
  });
  configureRunner({
    settings,
    cluster,
    idempotency: new DynamoDbIdempotencyStore({ client: db.client, tableName: db.stateTable }),
    cursor: new DynamoDbCursorStore({ client: db.client, tableName: db.stateTable }),
    secrets: { exists: async () => true },
    botToken: async () => TOKEN,
    metrics,
    ...(options.operations ? { operations: options.operations } : {}),
  });
  const sender = new ManagementApiSender({
    client: createManagementApiClient({ endpoint: gateway.managementEndpoint, ...management }),
  });
  return {
    url: gateway.url,
    gateway,
    db,
    cluster,
    settings,
    connections,
    sender,
    handlerErrors,
    heartbeat: (remainingMs = 50_000) => {
      const deadline = Date.now() + remainingMs;
      return handleHeartbeat({}, { getRemainingTimeInMillis: () => deadline - Date.now() });
    },
    async close() {
      await gateway.close();
      configureBridge(undefined);
      configureRunner(undefined);
      await db.close();
    },
  };
}
