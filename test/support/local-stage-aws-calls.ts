// The AWS calls the Lambda functions really make, recorded over the wire: the local stage (the unchanged
// handlers, composed from their environment, against dynalite, the Secrets Manager / ECR / EKS wire
// stand-ins and the local API Gateway) is driven through one tour, and every HTTP exchange is labelled
// with the handler module whose invocation sent it. Test files label the handlers with `labelledHandlers`
// in a vi.mock (see test/contract/aws-models/wire-formats.contract.test.ts).
// What this proves: which operations, on which resources, the code sends and in what wire form. What it
// cannot: that the stand-ins answer as AWS does (the model checks cover the shapes, not behaviour).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { clearEksClusterInfoCache } from '@hybrid-runner/aws';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import {
  startCollateSideStandIn,
  startKeeperSchedule,
  startLocalStage,
  type LocalStage,
  type TaskOutcome,
} from '@hybrid-runner/local';
import { BridgeClient } from '@hybrid-runner/protocol';
import { handler as keeperHandler } from '../../functions/bridge/keeper.ts';
import { configureKeeper } from '../../functions/lib/keeper-context.ts';
import { logger } from '../../functions/lib/logger.ts';
import { configureRunner } from '../../functions/lib/runner-context.ts';
import { asSender, startWireTap, type WireExchange } from './wire-tap.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Handler modules by label: the label is the module path, as the stack's `handler` names it. */
export const HANDLER_MODULES = {
  connect: 'functions/bridge/connect',
  disconnect: 'functions/bridge/disconnect',
  message: 'functions/bridge/message',
  heartbeat: 'functions/schedule/heartbeat',
  registryRefresh: 'functions/schedule/ecr-refresh',
  keeper: 'functions/bridge/keeper',
} as const;

/** The exports of a handler module with its entry points labelled (for vi.mock factories). */
export function labelledHandlers<T extends Record<string, unknown>>(module: T, label: string): T {
  const wrapped: Record<string, unknown> = { ...module };
  if (typeof module.handler === 'function') {
    const handler = module.handler as (...args: unknown[]) => unknown;
    wrapped.handler = (...args: unknown[]) => asSender(label, () => handler(...args));
  }
  if (typeof module.createEcrRefreshHandler === 'function') {
    const create = module.createEcrRefreshHandler as (...args: unknown[]) => (...args: unknown[]) => unknown;
    wrapped.createEcrRefreshHandler = (...deps: unknown[]) => {
      const handler = create(...deps);
      return (...args: unknown[]) => asSender(label, () => handler(...args));
    };
  }
  return wrapped as T;
}

export const TOUR = {
  agentId: 'wire-recorder',
  token: 'wire-recorder-bot-token-5c1e7a0b9d',
  existingSecret: '/collate/hybrid-ingestion-runner/mysql-prod-password',
  missingSecret: '/collate/hybrid-ingestion-runner/absent-password',
  goneConnection: 'gone-connection-id=',
} as const;

export interface RecordedAwsCalls {
  exchanges: WireExchange[];
  /** Service of each recorded port: dynamodb, secretsmanager, ecr, eks, apigatewaymanagementapi, kubernetes. */
  serviceOfPort: Map<number, string>;
  /** The endpoints' base paths (the management API's stage). */
  basePathOfPort: Map<number, string>;
  /** The function environment the handlers ran with (FUNCTION_ENV values; no secret values). */
  functionEnvironment: Record<string, string>;
  /** The access key id the functions sign with (their role's, in AWS); other keys are not the role's calls. */
  functionAccessKeyId: string;
  region: string;
  tasks: TaskOutcome[];
}

function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/**
 * The outbound leg of the tour (bridge.mode: outbound): the keeper composed from the environment the stack gives
 * it (the inbound-only variables removed, HYBRID_RUNNER_OUTBOUND_URL set) dials the Collate-side stand-in on a
 * schedule ticking every second, so the recording holds the lease's first claim, a successor's claim and the
 * renewals; requests come through the stand-in's relay. Each keeper is a new container: the cached runner
 * context and cluster lookup are dropped first.
 */
async function keeperLeg(): Promise<void> {
  const collateSide = await startCollateSideStandIn({ token: () => TOUR.token, agentId: TOUR.agentId });
  const results: unknown[] = [];
  const errors: unknown[] = [];
  let schedule: ReturnType<typeof startKeeperSchedule> | undefined;
  let client: BridgeClient | undefined;
  try {
    for (const variable of ['connectionsTable', 'managementEndpoint', 'rateLimit'] as const) {
      delete process.env[FUNCTION_ENV[variable]];
    }
    process.env[FUNCTION_ENV.outboundUrl] = collateSide.agentUrl;
    configureRunner(undefined);
    configureKeeper(undefined);
    clearEksClusterInfoCache();
    // 70 s of Lambda time: the default timings leave 10 s of serving, so each tick starts a successor.
    schedule = startKeeperSchedule({
      handler: keeperHandler as never,
      tickMs: 1_000,
      lifetimeMs: 70_000,
      onResult: (result) => results.push(result),
      onError: (error) => errors.push(error),
    });
    await until('the keeper connection', () => collateSide.agentConnections() > 0);
    client = await BridgeClient.connect(collateSide.relayUrl, {
      token: TOUR.token,
      agentId: TOUR.agentId,
      reconnect: { maxAttempts: 0 },
      requestTimeoutMs: 20_000,
    });
    const pipeline = {
      name: 'outbound_ingestion',
      fullyQualifiedName: 'mysql_prod.outbound_ingestion',
      pipelineType: 'metadata' as const,
    };
    await client.request('deployPipeline', { pipeline, workflowConfig: { source: { type: 'mysql' } } });
    await client.request('runAutomationsWorkflow', {
      workflow: {
        id: 'w-outbound',
        name: 'test-mysql-outbound',
        workflowType: 'TEST_CONNECTION',
        request: { connection: { config: { password: `secret:${TOUR.existingSecret}` } } },
      },
    });
    await client.request('deletePipeline', { pipeline });
    await until(
      'a keeper handover',
      () => results.some((result) => (result as { outcome?: string }).outcome === 'handed-over'),
      20_000,
    );
  } finally {
    await client?.close().catch(() => undefined);
    await schedule?.stop();
    await collateSide.close();
    configureKeeper(undefined);
    configureRunner(undefined);
  }
  if (errors.length > 0) throw new Error(`A keeper invocation failed: ${String(errors[0])}`);
}

/**
 * Starts the local stage, drives one tour through every function, and returns what went over the wire. With
 * `outbound`, the tour ends with the keeper's leg (keeperLeg) on the same stand-ins.
 */
export async function recordLocalStageAwsCalls(
  options: { outbound?: boolean } = {},
): Promise<RecordedAwsCalls> {
  const saved = { ...process.env };
  const directory = mkdtempSync(join(tmpdir(), 'wire-recorder-'));
  const tasks: TaskOutcome[] = [];
  const tap = startWireTap();
  let stage: LocalStage | undefined;
  let client: BridgeClient | undefined;
  // The stage's log and metric lines would fill the test output; what matters is on the wire.
  const level = logger.getLevelName();
  const consoleLog = console.log;
  try {
    logger.setLogLevel('SILENT');
    console.log = () => undefined;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    stage = await startLocalStage({
      agentId: TOUR.agentId,
      token: TOUR.token,
      port: 0,
      kubeconfigPath: join(directory, 'kubeconfig'),
      cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
      heartbeatSeconds: 300,
      ecrRefreshSeconds: 86_400,
      seedSecrets: { [TOUR.existingSecret]: 'recorded-password-value' },
      controller: { podRunMs: 50 },
      onTask: (outcome) => tasks.push(outcome),
    });
    const functionEnvironment = Object.fromEntries(
      Object.values(FUNCTION_ENV)
        .map((name) => [name, process.env[name]])
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    const functionAccessKeyId = process.env.AWS_ACCESS_KEY_ID ?? '';
    // The deploy-time registry refresh runs at start; each Lambda has its own container, so the cluster
    // lookup it cached must not spare the bridge functions theirs.
    await until('the registry refresh at start', () => tasks.some((task) => task.task === 'ecr-refresh'));
    clearEksClusterInfoCache();

    client = await BridgeClient.connect(stage.url, {
      token: TOUR.token,
      agentId: TOUR.agentId,
      reconnect: { maxAttempts: 0 },
      requestTimeoutMs: 20_000,
    });
    const pipeline = {
      name: 'metadata_ingestion',
      fullyQualifiedName: 'mysql_prod.metadata_ingestion',
      pipelineType: 'metadata' as const,
    };
    await client.request('deployPipeline', { pipeline, workflowConfig: { source: { type: 'mysql' } } });
    await client.request('runPipeline', { pipeline });
    const testConnection = (password: string) =>
      client!.request('runAutomationsWorkflow', {
        workflow: {
          id: `w-${password.length}`,
          name: 'test-mysql',
          workflowType: 'TEST_CONNECTION',
          request: { connection: { config: { password: `secret:${password}` } } },
        },
      });
    await testConnection(TOUR.existingSecret);
    await testConnection(TOUR.missingSecret).catch(() => undefined);
    await client.request('toggleIngestion', { pipeline: { ...pipeline, enabled: false } });
    await client.request('deletePipeline', { pipeline });

    // A connection API Gateway has already closed: the heartbeat's post is answered 410 and the record pruned.
    const dynamo = new DynamoDBClient({});
    await asSender('test-driver', () =>
      dynamo.send(
        new PutItemCommand({
          TableName: functionEnvironment[FUNCTION_ENV.connectionsTable],
          Item: {
            connectionId: { S: TOUR.goneConnection },
            agentId: { S: TOUR.agentId },
            connectedAt: { N: String(Date.now()) },
            ttl: { N: String(Math.floor(Date.now() / 1000) + 3600) },
          },
        }),
      ),
    );
    dynamo.destroy();
    await stage.scheduler.runNow('heartbeat');

    const before = tap.exchanges.length;
    await client.close();
    client = undefined;
    await until('the $disconnect handler', () =>
      tap.exchanges
        .slice(before)
        .some((exchange) => exchange.sender === HANDLER_MODULES.disconnect && exchange.status !== undefined),
    );
    await tap.settled();
    if (options.outbound) {
      await keeperLeg();
      await tap.settled();
    }

    const env = stage.clientEnv;
    const serviceOfPort = new Map<number, string>();
    const basePathOfPort = new Map<number, string>();
    const endpoints: Array<[string | undefined, string]> = [
      [env.AWS_ENDPOINT_URL_DYNAMODB, 'dynamodb'],
      [env.AWS_ENDPOINT_URL_SECRETS_MANAGER, 'secretsmanager'],
      [env.AWS_ENDPOINT_URL_ECR, 'ecr'],
      [env.AWS_ENDPOINT_URL_EKS, 'eks'],
      [stage.managementEndpoint, 'apigatewaymanagementapi'],
      [stage.kubernetesApi, 'kubernetes'],
    ];
    for (const [url, service] of endpoints) {
      if (!url) throw new Error(`The local stage did not report its ${service} endpoint.`);
      serviceOfPort.set(portOf(url), service);
      basePathOfPort.set(portOf(url), new URL(url).pathname.replace(/\/$/, ''));
    }
    return {
      // The WebSocket handshakes share the gateway's port with the management API; they are not AWS calls.
      exchanges: tap.exchanges.filter(
        (exchange) => serviceOfPort.has(exchange.port) && exchange.headers.upgrade === undefined,
      ),
      serviceOfPort,
      basePathOfPort,
      functionEnvironment,
      functionAccessKeyId,
      region: env.AWS_REGION ?? 'eu-west-1',
      tasks,
    };
  } finally {
    console.log = consoleLog;
    logger.setLogLevel(level);
    tap.stop();
    await client?.close().catch(() => undefined);
    await stage?.close();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    rmSync(directory, { recursive: true, force: true });
  }
}
