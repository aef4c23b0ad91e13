// The bridge as the local stage runs it, for end-to-end tests, in either mode. Inbound: the real Lambda
// handlers behind the local API Gateway stand-in. Outbound: the real keeper handler on a shortened schedule,
// dialling the Collate-side stand-in, whose relay the tests connect to as Collate. Both: connections and idempotency in dynalite (real DynamoDB wire protocol), the
// management API reached by the real SDK client, and core's real operations over a ClusterPort (the
// in-memory FakeCluster by default, or the Kubernetes emulator through the real adapter).
import {
  ManagementApiSender,
  DynamoDbConnectionStore,
  DynamoDbKeeperLeaseStore,
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
import { createMetrics, samplesOf, type EmfDocument } from '@hybrid-runner/observability';
import {
  startCollateSideStandIn,
  startKeeperSchedule,
  startLocalApiGateway,
  type CollateSideStandIn,
  type KeeperSchedule,
  type LocalApiGateway,
  type LocalApiGatewayLimits,
} from '@hybrid-runner/local';
import { handler as connect } from '../../../functions/bridge/connect.ts';
import { handler as disconnect } from '../../../functions/bridge/disconnect.ts';
import { handler as message } from '../../../functions/bridge/message.ts';
import { handler as keeper } from '../../../functions/bridge/keeper.ts';
import { configureKeeper } from '../../../functions/lib/keeper-context.ts';
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

export const BRIDGE_MODES = ['inbound', 'outbound'] as const;
export type BridgeMode = (typeof BRIDGE_MODES)[number];

/** What a test that runs in both modes sees of the bridge: where Collate connects, and the runner's cluster. */
export interface BridgeUnderTest {
  mode: BridgeMode;
  /** Inbound: the API Gateway stand-in. Outbound: the Collate-side stand-in's relay. */
  url: string;
  cluster: ClusterPort;
  settings: RunnerSettings;
  handlerErrors: unknown[];
  /** Inbound: one heartbeat invocation. Outbound: the keeper beats by itself; this waits one period. */
  heartbeat(): Promise<void>;
  close(): Promise<void>;
}

export interface OutboundBridgeStage extends BridgeUnderTest {
  mode: 'outbound';
  collateSide: CollateSideStandIn;
  schedule: KeeperSchedule;
  /** Results of the keeper invocations so far (started or not). */
  keeperResults: unknown[];
  db: TestDynamoDb;
  /** Sum of a metric the stage's functions recorded (flushed EMF documents), for alarm-metric checks. */
  metricSum(name: string): number;
}

/** Keeper timings for tests: each invocation lives `lifetimeMs`, so a handover every lifetime minus the lead. */
export interface OutboundTiming {
  lifetimeMs: number;
  tickMs: number;
  heartbeatMs: number;
  /** The old keeper closes after this long without a frame (AWS: 1 s); default 300 ms. */
  quietMs?: number;
}

/** A keeper that lives 20 s: a handover or two in a suite, none inside most tests. */
export const CALM_KEEPER: OutboundTiming = { lifetimeMs: 20_000, tickMs: 500, heartbeatMs: 300 };

export async function startOutboundBridgeStage(
  options: {
    cluster?: ClusterPort;
    operations?: Operations;
    settings?: Partial<RunnerSettings>;
    timing?: OutboundTiming;
  } = {},
): Promise<OutboundBridgeStage> {
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('ERROR');
  const timing = options.timing ?? CALM_KEEPER;
  const db = await startDynalite();
  const settings = defaultRunnerSettings({ agentId: AGENT_ID, ...options.settings });
  const cluster = options.cluster ?? new FakeCluster();
  const documents: EmfDocument[] = [];
  const metrics = createMetrics({
    stage: 'e2e',
    agentId: AGENT_ID,
    sink: (document) => documents.push(document),
  });
  const collateSide = await startCollateSideStandIn({ token: () => TOKEN, agentId: AGENT_ID });
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
  // The AWS timings scaled down (drain reserve, lead, staleness) so the schedule hands over every few seconds.
  const reserveMs = Math.min(2_000, timing.lifetimeMs / 6);
  configureKeeper({
    url: collateSide.agentUrl,
    agentId: AGENT_ID,
    runnerVersion: settings.runnerVersion,
    token: async () => TOKEN,
    lease: new DynamoDbKeeperLeaseStore({ client: db.client, tableName: db.stateTable }),
    timing: {
      drainReserveMs: reserveMs,
      leasePollMs: 25,
      renewMs: 200,
      heartbeatMs: timing.heartbeatMs,
      quietMs: timing.quietMs ?? 300,
      backoff: { initialMs: 50, maxMs: 500 },
    },
    policy: { staleAfterMs: 1_500, leadMs: reserveMs * 2 },
    metrics,
  });
  const handlerErrors: unknown[] = [];
  const keeperResults: unknown[] = [];
  const schedule = startKeeperSchedule({
    handler: keeper as never,
    tickMs: timing.tickMs,
    lifetimeMs: timing.lifetimeMs,
    onResult: (result) => keeperResults.push(result),
    onError: (error) => handlerErrors.push(error),
  });
  const deadline = Date.now() + 10_000;
  while (collateSide.agentConnections() === 0) {
    if (Date.now() > deadline) throw new Error('The keeper did not connect to the Collate-side stand-in.');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    mode: 'outbound',
    url: collateSide.relayUrl,
    cluster,
    settings,
    handlerErrors,
    collateSide,
    schedule,
    keeperResults,
    db,
    metricSum: (name) =>
      documents
        .flatMap(samplesOf)
        .filter((sample) => sample.name === name)
        .reduce((sum, sample) => sum + sample.values.reduce((a, b) => a + b, 0), 0),
    heartbeat: () => new Promise((resolve) => setTimeout(resolve, timing.heartbeatMs)),
    async close() {
      await schedule.stop();
      await collateSide.close();
      configureKeeper(undefined);
      configureRunner(undefined);
      await db.close();
    },
  };
}

/** Either mode's stage, for suites that run the same scenarios in both. */
export async function startStage(
  mode: BridgeMode,
  options: { cluster?: ClusterPort; settings?: Partial<RunnerSettings>; timing?: OutboundTiming } = {},
): Promise<BridgeUnderTest> {
  if (mode === 'outbound') return startOutboundBridgeStage(options);
  const stage = await startBridgeStage(options);
  return {
    mode,
    url: stage.url,
    cluster: stage.cluster,
    settings: stage.settings,
    handlerErrors: stage.handlerErrors,
    heartbeat: async () => {
      await stage.heartbeat();
    },
    close: () => stage.close(),
  };
}
