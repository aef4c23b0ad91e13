// Composition root of the functions that reach the cluster ($default messages, the heartbeat): the
// dispatcher over core's operations, the Kubernetes adapter on EKS, the DynamoDB idempotency and cursor
// stores. Built once per container (the cluster connection is cached), or injected by the local stage.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DynamoDbConnectionRateLimiter,
  DynamoDbCursorStore,
  DynamoDbIdempotencyStore,
  SecretsManagerSecretStore,
  tokensOf,
  type TokenSetProvider,
} from '@hybrid-runner/aws';
import { readFunctionEnvironment, requireInbound } from '@hybrid-runner/config';
import {
  createDispatcher,
  createOperations,
  DEFAULT_PULL_SECRET_NAME,
  randomIds,
  systemClock,
  type Clock,
  type ClusterPort,
  type CursorStore,
  type Dispatcher,
  type DispatcherOptions,
  type IdempotencyStore,
  type Ids,
  type LogArchive,
  type Operations,
  type PullSecretLocation,
  type RequestRateLimiter,
  type RunnerSettings,
  type SecretStore,
} from '@hybrid-runner/core';
import { KubernetesCluster, KubernetesSecretStore } from '@hybrid-runner/kubernetes';
import {
  createTracer,
  instrumentClusterCalls,
  registeringSecrets,
  traceAwsClient,
  type RunnerMetrics,
} from '@hybrid-runner/observability';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { tokenSetFromEnvironment } from './bot-tokens.ts';
import { describeError, logger } from './logger.ts';
import { logArchiveFromEnvironment } from './log-archive.ts';
import { environmentMetrics, injectedMetrics } from './telemetry.ts';

export interface RunnerContext {
  settings: RunnerSettings;
  dispatcher: Dispatcher;
  cluster: ClusterPort;
  cursor: CursorStore;
  clock: Clock;
  /** The pull secret the registry refresh records its token's expiry on, for runnerStatus. */
  pullSecret: PullSecretLocation;
  metrics: RunnerMetrics;
  /** X-Ray subsegments when POWERTOOLS_TRACE_ENABLED=true; disabled otherwise. */
  tracer: Tracer;
}

export interface RunnerContextOverrides {
  settings: RunnerSettings;
  cluster: ClusterPort;
  idempotency: IdempotencyStore;
  cursor: CursorStore;
  /** Core's operations are built from the cluster and these unless given (tests with fakes give them). */
  operations?: Operations;
  secrets?: SecretStore;
  botToken?: () => Promise<string>;
  /** During a token rotation: both tokens, so both are redacted (operations get the current one). */
  botTokens?: TokenSetProvider;
  /** Argo's archived container logs, read once a run's pod is gone; none when absent. */
  logArchive?: LogArchive;
  /** The per-connection request rate limit; none when absent. */
  rateLimiter?: RequestRateLimiter;
  clock?: Clock;
  ids?: Ids;
  /** Default: the pods' first pull secret in the ingestion namespace. */
  pullSecret?: PullSecretLocation;
  /** Default: the environment's metrics when it names a stage, else local metrics (telemetry.ts). */
  metrics?: RunnerMetrics;
  /** Default: a disabled tracer. */
  tracer?: Tracer;
  dispatcher?: Partial<Pick<DispatcherOptions, 'inProgressWaitMs' | 'pollIntervalMs' | 'lockMs'>>;
}

function logUnexpected(report: Parameters<NonNullable<DispatcherOptions['onUnexpectedError']>>[0]): void {
  logger.error('Request failed unexpectedly', {
    correlationId: report.correlationId,
    requestId: report.requestId,
    op: report.op,
    error: describeError(report.error),
  });
}

/** Each operation first reads the bot token (cached; a failed read is the operation's own concern, if it needs it). */
function afterReadingToken(operations: Operations, readToken: () => Promise<string>): Operations {
  const wrapped: Record<string, (payload: unknown) => Promise<unknown>> = {};
  for (const [name, operation] of Object.entries(operations) as Array<
    [string, (payload: unknown) => Promise<unknown>]
  >) {
    wrapped[name] = async (payload) => {
      await readToken().catch(() => undefined);
      return operation(payload);
    };
  }
  return wrapped as Operations;
}

function assemble(
  overrides: RunnerContextOverrides & {
    secrets: SecretStore;
    botToken: () => Promise<string>;
    metrics: RunnerMetrics;
    tracer: Tracer;
  },
) {
  const clock = overrides.clock ?? systemClock;
  const ids = overrides.ids ?? randomIds;
  // Every bot token the runner reads is redacted from every response: the first one ahead of the first
  // request, and a rotated one as soon as the provider's cache lets it through (every operation reads the
  // token first, so pod logs holding the new token are redacted even when no deploy has read it yet).
  const secretValues: string[] = [];
  const readTokens: TokenSetProvider =
    overrides.botTokens ?? (async () => ({ current: await overrides.botToken() }));
  const botToken = async (): Promise<string> => {
    const tokens = await readTokens();
    for (const token of tokensOf(tokens)) if (!secretValues.includes(token)) secretValues.push(token);
    return tokens.current;
  };
  botToken().catch((error: unknown) =>
    logger.warn('Bot token not readable yet', { error: describeError(error) }),
  );
  const operations = afterReadingToken(
    overrides.operations ??
      createOperations({
        cluster: overrides.cluster,
        secrets: overrides.secrets,
        clock,
        ids,
        settings: overrides.settings,
        botToken,
        ...(overrides.logArchive ? { logArchive: overrides.logArchive } : {}),
      }),
    botToken,
  );
  const context: RunnerContext = {
    settings: overrides.settings,
    cluster: overrides.cluster,
    cursor: overrides.cursor,
    clock,
    metrics: overrides.metrics,
    tracer: overrides.tracer,
    dispatcher: createDispatcher({
      operations,
      idempotency: overrides.idempotency,
      clock,
      ids,
      onUnexpectedError: logUnexpected,
      secretValues: () => secretValues,
      ...(overrides.rateLimiter ? { rateLimiter: overrides.rateLimiter } : {}),
      onRateLimiterFault: (error) =>
        logger.warn('Rate limit not checked (its store failed); request served', {
          error: describeError(error),
        }),
      ...overrides.dispatcher,
    }),
    // The registry refresh records the token's expiry on the pull secret; runnerStatus reports it.
    pullSecret: overrides.pullSecret ?? {
      namespace: overrides.settings.namespace,
      name: overrides.settings.imagePullSecrets[0] ?? DEFAULT_PULL_SECRET_NAME,
    },
  };
  return context;
}

async function fromEnvironment(env: NodeJS.ProcessEnv): Promise<RunnerContext> {
  const functionEnv = readFunctionEnvironment(env);
  const settings = functionEnv.settings;
  const metrics = environmentMetrics(env);
  const tracer = createTracer({ env });
  // Every Kubernetes call is timed, counted when it fails and traced when tracing is on.
  const cluster = instrumentClusterCalls(
    await KubernetesCluster.connect({
      mode: 'eks',
      clusterName: functionEnv.clusterName,
      region: functionEnv.clusterRegion,
    }),
    { metrics, tracer },
  );
  const dynamo = traceAwsClient(tracer, new DynamoDBClient({}));
  const secrets =
    settings.secretsManager.provider === 'managed-aws'
      ? new SecretsManagerSecretStore(
          settings.secretsManager.region ? { region: settings.secretsManager.region } : {},
        )
      : new KubernetesSecretStore(cluster, settings.namespace);
  // Every token is registered for redaction as soon as it is read (responses and logs alike).
  const botTokens = tokenSetFromEnvironment(
    functionEnv,
    traceAwsClient(tracer, new SecretsManagerClient({})),
  );
  const logArchive = logArchiveFromEnvironment(env, (client) => traceAwsClient(tracer, client));
  return assemble({
    settings,
    cluster,
    secrets,
    ...(logArchive ? { logArchive } : {}),
    botToken: async () => (await botTokens()).current,
    botTokens,
    ...(functionEnv.rateLimit
      ? {
          rateLimiter: new DynamoDbConnectionRateLimiter({
            client: dynamo,
            tableName: requireInbound(functionEnv, 'connectionsTable'),
            limit: functionEnv.rateLimit,
          }),
        }
      : {}),
    idempotency: new DynamoDbIdempotencyStore({ client: dynamo, tableName: functionEnv.stateTable }),
    cursor: new DynamoDbCursorStore({ client: dynamo, tableName: functionEnv.stateTable }),
    metrics,
    tracer,
    // The registry refresh records the expiry on its pull secret (the registry function's name for it,
    // when this function has the registry variables; else the pods' first pull secret, the same by default).
    pullSecret: {
      namespace: settings.namespace,
      name: functionEnv.registry?.pullSecretName ?? settings.imagePullSecrets[0] ?? DEFAULT_PULL_SECRET_NAME,
    },
  });
}

let current: Promise<RunnerContext> | undefined;

/** The runner context of this container: injected, or built from the environment on first use. */
export function runnerContext(env: NodeJS.ProcessEnv = process.env): Promise<RunnerContext> {
  if (!current) {
    const building = fromEnvironment(env);
    current = building;
    // A failed cold start (cluster unreachable, variable missing) is retried by the next invocation.
    building.catch(() => {
      if (current === building) current = undefined;
    });
  }
  return current;
}

/** For the local stage and tests: use these instead of the environment. */
export function configureRunner(overrides: RunnerContextOverrides | undefined): void {
  if (!overrides) {
    current = undefined;
    return;
  }
  const unused = async (): Promise<never> => {
    throw new Error('No secret store or bot token was configured for this runner context.');
  };
  current = Promise.resolve(
    assemble({
      ...overrides,
      secrets: overrides.secrets ?? { exists: unused },
      botToken: registeringSecrets(overrides.botToken ?? unused, (token) => [token]),
      ...(overrides.botTokens ? { botTokens: registeringSecrets(overrides.botTokens, tokensOf) } : {}),
      metrics: injectedMetrics(overrides.settings.agentId, overrides.metrics),
      tracer: overrides.tracer ?? createTracer({ enabled: false }),
    }),
  );
}
