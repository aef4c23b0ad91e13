// The local stage behind `npm start`: the SAME Lambda handlers as in AWS, built by their own composition
// roots from the environment the stack would set (FUNCTION_ENV), with the AWS SDK pointed at wire-level
// stand-ins through its service endpoint variables (AWS_ENDPOINT_URL_<SERVICE>): Secrets Manager, ECR and
// EKS DescribeCluster stand-ins, DynamoDB through dynalite, the sandbox cluster (the Kubernetes API
// emulator with the simulated Argo controller, EKS-token authentication and the stack's least-privilege
// RBAC), the local API Gateway (inbound mode) or the Collate-side stand-in the keeper dials (outbound mode), and
// in-process schedules instead of EventBridge.
// What it cannot prove: IAM, real Argo, real pods, API Gateway itself, the Collate server (see docs/local-stage.md).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import {
  DynamoDbCursorStore,
  DynamoDbIdempotencyStore,
  SecretsManagerSecretStore,
  clearEksClusterInfoCache,
  parseEcrKeysSecret,
  secretsManagerTokenProvider,
} from '@hybrid-runner/aws';
import {
  FUNCTION_ENV,
  applyEnvOverrides,
  inboundHardeningEnvironment,
  parseStageConfig,
  sourceCidrsEnvironment,
  registryRefreshSettings,
  settingsEnvironmentValue,
  toRunnerSettings,
  type BridgeMode,
  type StageConfig,
} from '@hybrid-runner/config';
import { REGISTRY_REFRESH_DEFAULTS, needsNamespaceList } from '@hybrid-runner/core';
import {
  createKubeconfig,
  startKubernetesEmulator,
  type ControllerOptions,
  type EksIdentity,
  type KubernetesEmulator,
  type RbacRule,
} from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import { OBSERVABILITY_ENV, metricsSnapshot, redactText } from '@hybrid-runner/observability';
// The stack's RBAC as data: the local stage applies the very objects `sst deploy` applies.
import { FUNCTION_GROUPS, clusterAccessObjects, type RbacObject } from '../../../stacks/cluster-access.ts';
import {
  startLocalApiGateway,
  type LocalApiGateway,
  type LocalApiGatewayHandlers,
} from './apigateway/gateway.ts';
import type { CollateSideStandIn } from './collate-side/server.ts';
import { startLocalDynamoDb, type LocalDynamoDb } from './dynamodb.ts';
import { startLocalCollateSide, startLocalKeeper } from './outbound-bridge.ts';
import { lambdaContext, scheduledEvent } from './lambda-context.ts';
import { startLocalS3, type LocalS3 } from './s3.ts';
import { LOCAL_METRICS_PATH, startSandboxControl, type SandboxControl } from './sandbox-control.ts';
import { startScheduler, type Scheduler, type TaskOutcome } from './scheduler.ts';
import { startEcrStandIn, type EcrStandIn } from './standins/ecr.ts';
import { startEksStandIn, type EksStandIn } from './standins/eks.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from './standins/secrets-manager.ts';

export const LOCAL_REGION = 'eu-west-1';
export const LOCAL_CLUSTER_NAME = 'local-sandbox';
export const LOCAL_SERVER_HOST = 'localhost';
/** Heartbeat period of the local stage (AWS: every minute); HEARTBEAT_SECONDS changes it. */
export const DEFAULT_LOCAL_HEARTBEAT_SECONDS = 15;
/** ECR refresh period, as the stack's default schedule `rate(4 hours)`. */
export const DEFAULT_ECR_REFRESH_SECONDS = 4 * 3600;

/**
 * Kubernetes groups the runner's identity is mapped to, those of the stack's EKS access entries, and the
 * operator's, who may do everything.
 */
export const LOCAL_GROUPS = {
  bridge: FUNCTION_GROUPS.bridge,
  registry: FUNCTION_GROUPS.registry,
  operator: 'hybrid-runner:local-operator',
} as const;

/** The Kubernetes user the runner's keys map to in the sandbox (an access entry's username). */
export const RUNNER_USER = 'hybrid-runner-functions';

/** Placeholder access key ids the stand-ins accept (secret keys are random per start). */
const KEY_IDS = {
  runner: 'AKIALOCALRUNNER00001',
  operator: 'AKIALOCALOPERATOR001',
  collateEcr: 'AKIALOCALCOLLATEECR1',
} as const;

/** The service endpoint variables the AWS SDK for JavaScript v3 honours (service id, upper-cased). */
export const AWS_ENDPOINT_ENV = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  secretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  eks: 'AWS_ENDPOINT_URL_EKS',
  ecr: 'AWS_ENDPOINT_URL_ECR',
  s3: 'AWS_ENDPOINT_URL_S3',
} as const;

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

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

export interface LocalStageOptions {
  agentId: string;
  /** Which side opens the bridge (BRIDGE_MODE): the stage file's bridge.mode unless given; default inbound. */
  bridgeMode?: BridgeMode;
  /** The ingestion bot token Collate presents (stored in the Secrets Manager stand-in). */
  token: string;
  /** During a rotation (override bridge.previousAuthToken): the previous token, stored beside it. */
  previousToken?: string;
  /** Gateway port (outbound: the Collate-side stand-in's); 0 = a free one. */
  port: number;
  /** Where the operator kubeconfig is written (`.hybrid-runner/kubeconfig`). */
  kubeconfigPath: string;
  /** Absolute paths for the kubeconfig's exec entry: Node 24 and the CLI's bin script. */
  cli: { node: string; script: string };
  heartbeatSeconds?: number;
  ecrRefreshSeconds?: number;
  /** User secrets for the Secrets Manager stand-in: name → value. */
  seedSecrets?: Record<string, string>;
  /** Submit to the cluster of this kubeconfig instead of the sandbox emulator. */
  kubeconfig?: string;
  /** Use the real AWS Secrets Manager with the credentials of the default chain (not the stand-in). */
  useAwsSecretsManager?: boolean;
  /** Timings of the simulated Argo controller (tests shorten pod run time). */
  controller?: ControllerOptions;
  /** Stage configuration overrides (HYBRID_RUNNER__<path> variables), applied over the local defaults. */
  env?: NodeJS.ProcessEnv;
  /** A line per heartbeat / ECR refresh, for the terminal. */
  onTask?: (outcome: TaskOutcome) => void;
  /** Diagnostics (rejected tokens, RBAC denials, handler failures) for the log file. */
  log?: (message: string) => void;
  /** Default: the local API Gateway stand-in (startLocalApiGateway). */
  webSocketApi?: WebSocketApiStarter;
}

export interface LocalStage {
  /** Where Collate's side is played: the local API Gateway (inbound), the stand-in's relay (outbound). */
  url: string;
  /** Inbound only: the local API Gateway's management API. */
  managementEndpoint?: string;
  /** Outbound only: the Collate-side stand-in, whose agent URL the keeper dials. */
  collateSide?: CollateSideStandIn;
  agentId: string;
  token: string;
  namespace: string;
  config: StageConfig;
  /** The Kubernetes API the runner submits to (the emulator, or the kubeconfig's server). */
  kubernetesApi: string;
  /** The runner's bridge identity in the sandbox cluster, for doctor's access reviews. */
  runnerSubject?: { user: string; groups: string[] };
  /** The sandbox control endpoint (absent with a real cluster). */
  sandboxControl?: string;
  /** The metrics snapshot (GET, the stage token as bearer), for `hybrid-runner collate status`. */
  metricsEndpoint: string;
  /** Environment that points the CLI and doctor at the stand-ins (no secret values beyond placeholder keys). */
  clientEnv: Record<string, string>;
  emulator?: KubernetesEmulator;
  /** The sandbox's artifact repository (s3rver) holding archived pod logs; absent with a real cluster. */
  logArchive?: { endpoint: string; bucket: string };
  scheduler: Scheduler;
  close(): Promise<void>;
}

/** The local stage's configuration: the published defaults plus what the sandbox needs. */
export function localStageConfig(
  agentId: string,
  env: NodeJS.ProcessEnv = {},
  bridgeMode?: BridgeMode,
): StageConfig {
  const document = applyEnvOverrides(
    {
      agentId,
      ...(bridgeMode ? { bridge: { mode: bridgeMode } } : {}),
      serverHost: LOCAL_SERVER_HOST,
      useSecureProtocols: false,
      cluster: { name: LOCAL_CLUSTER_NAME, region: LOCAL_REGION },
      secretsManager: { provider: 'managed-aws', region: LOCAL_REGION },
      ingestionPods: { identity: 'pod-identity' },
    },
    env,
  );
  return parseStageConfig(document, 'the local stage configuration (HYBRID_RUNNER__* overrides)');
}

/** Secrets Manager name or ARN of a secret the stack would create (SST secret name locally). */
function secretId(location: { sstSecret?: string | undefined; secretArn?: string | undefined }): string {
  return location.secretArn ?? location.sstSecret ?? '';
}

/**
 * The stack's own RBAC objects (stacks/cluster-access.ts, what `sst deploy` applies) as emulator rules:
 * each binding's subjects get its role's rules, in the binding's namespace (a ClusterRoleBinding: everywhere).
 */
export function stackRbacRules(objects: readonly RbacObject[]): RbacRule[] {
  const roles = new Map<string, RbacObject>();
  for (const object of objects) {
    if (object.kind === 'Role' || object.kind === 'ClusterRole')
      roles.set(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`, object);
  }
  const rules: RbacRule[] = [];
  for (const binding of objects) {
    if ((binding.kind !== 'RoleBinding' && binding.kind !== 'ClusterRoleBinding') || !binding.roleRef)
      continue;
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const role = roles.get(
      `${binding.roleRef.kind}/${binding.roleRef.kind === 'Role' ? (namespace ?? '') : ''}/${binding.roleRef.name}`,
    );
    if (!role)
      throw new Error(
        `The stack binds ${binding.roleRef.kind} ${binding.roleRef.name}, which it does not define.`,
      );
    const subjects = binding.subjects ?? [];
    const groups = subjects.filter((subject) => subject.kind === 'Group').map((subject) => subject.name);
    const users = subjects
      .filter((subject) => subject.kind === 'ServiceAccount')
      .map((subject) => `system:serviceaccount:${subject.namespace ?? namespace ?? ''}:${subject.name}`);
    for (const rule of role.rules ?? []) {
      rules.push({
        ...(groups.length ? { groups } : {}),
        ...(users.length ? { users } : {}),
        verbs: [...rule.verbs],
        apiGroups: [...rule.apiGroups],
        resources: [...rule.resources],
        ...(namespace ? { namespaces: [namespace] } : {}),
        ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
      });
    }
  }
  return rules;
}

/**
 * Least privilege as in AWS: exactly the Roles and bindings the stack applies (the runner's bridge group
 * gets RUNNER_RBAC_RULES in the ingestion namespace, its registry group the pull-secret rules); the
 * operator (CLI, doctor, kubectl) may do everything.
 */
export function sandboxRbacRules(config: StageConfig, operatorUser: string): RbacRule[] {
  const stack = clusterAccessObjects({
    ingestionNamespace: config.namespaces.ingestion,
    serviceAccount: config.ingestionPods.serviceAccount.name,
    secretsProvider: config.secretsManager.provider,
    ...(config.ecr.enabled ? { registry: registryRefreshSettings(config) } : {}),
  });
  return [
    { users: [operatorUser], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    ...stackRbacRules(stack),
  ];
}

/** A kubeconfig for the operator whose `exec` entry mints a fresh EKS token with this project's CLI. */
export function operatorKubeconfig(options: {
  server: string;
  caCert: string;
  namespace: string;
  cli: { node: string; script: string };
  keys: AwsKeys;
}): string {
  const name = LOCAL_CLUSTER_NAME;
  return createKubeconfig({
    server: options.server,
    caCert: options.caCert,
    namespace: options.namespace,
    name,
    userName: `${name}-operator`,
    user: {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: options.cli.node,
        args: [options.cli.script, 'eks', 'token', '--cluster', name, '--region', LOCAL_REGION],
        env: [
          { name: 'AWS_ACCESS_KEY_ID', value: options.keys.accessKeyId },
          { name: 'AWS_SECRET_ACCESS_KEY', value: options.keys.secretAccessKey },
          // A session token or profile from the user's shell would not match these keys.
          { name: 'AWS_SESSION_TOKEN', value: '' },
          { name: 'AWS_PROFILE', value: '' },
        ],
        interactiveMode: 'Never',
        provideClusterInfo: false,
      },
    },
  });
}

/** A context for one scheduled invocation, timing out as the stack's function does. */
function scheduledContext(functionName: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  return lambdaContext({
    functionName,
    region: LOCAL_REGION,
    memoryLimitInMB: 512,
    deadline: () => deadline,
  });
}

const randomSecretKey = () => randomBytes(30).toString('base64');

/** Sets variables in process.env (what Lambda's environment is to the handlers); returns an undo. */
function setEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    previous.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

export async function startLocalStage(options: LocalStageOptions): Promise<LocalStage> {
  // The stage's own lines (handler failures with their stacks, emulator rejections) are redacted like the
  // handlers' structured logs.
  const log = (message: string) => options.log?.(redactText(message));
  const config = localStageConfig(options.agentId, options.env ?? {}, options.bridgeMode);
  const outbound = config.bridge.mode === 'outbound';
  const settings = toRunnerSettings(config, { region: LOCAL_REGION });
  const namespace = config.namespaces.ingestion;
  const authTokenSecret = secretId(config.authToken);
  const ecrKeysSecret = secretId(config.ecr.keys);
  const previousLocation = config.bridge.previousAuthToken;
  const previousTokenSecret = previousLocation ? secretId(previousLocation) : undefined;
  if (previousTokenSecret && options.previousToken === undefined) {
    throw new Error(
      'bridge.previousAuthToken is set for the local stage: give the previous token too (previousToken), or drop the override.',
    );
  }
  const operatorKeys: AwsKeys = { accessKeyId: KEY_IDS.operator, secretAccessKey: randomSecretKey() };
  const cleanups: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`shutdown step failed: ${(error as Error).message}`);
      }
    }
  };

  try {
    // The runner's identity: placeholder keys, or with real Secrets Manager the user's own credentials
    // (resolved once; the local stand-ins and the emulator accept them too).
    let runnerKeys: AwsKeys;
    let token = options.token;
    let collateEcrKeys: AwsKeys;
    let secretsManager: SecretsManagerStandIn | undefined;
    if (options.useAwsSecretsManager) {
      const resolved = await fromNodeProviderChain()();
      runnerKeys = {
        accessKeyId: resolved.accessKeyId,
        secretAccessKey: resolved.secretAccessKey,
        ...(resolved.sessionToken ? { sessionToken: resolved.sessionToken } : {}),
      };
      const client = new SecretsManagerClient({ region: LOCAL_REGION, credentials: runnerKeys });
      try {
        token = await secretsManagerTokenProvider({ client, secretId: authTokenSecret })();
        const keys = await client.send(new GetSecretValueCommand({ SecretId: ecrKeysSecret }));
        collateEcrKeys = parseEcrKeysSecret(keys.SecretString, ecrKeysSecret);
      } catch (error) {
        throw new Error(
          `USE_AWS_SECRETS_MANAGER=1 needs the secrets ${authTokenSecret} (the bot token) and ${ecrKeysSecret} ` +
            `(ECR keys JSON) in Secrets Manager (${LOCAL_REGION}): ${(error as Error).message}`,
        );
      } finally {
        client.destroy();
      }
    } else {
      runnerKeys = { accessKeyId: KEY_IDS.runner, secretAccessKey: randomSecretKey() };
      collateEcrKeys = { accessKeyId: KEY_IDS.collateEcr, secretAccessKey: randomSecretKey() };
      secretsManager = await startSecretsManagerStandIn({
        region: LOCAL_REGION,
        accessKeys: {
          [runnerKeys.accessKeyId]: runnerKeys.secretAccessKey,
          [operatorKeys.accessKeyId]: operatorKeys.secretAccessKey,
        },
        secrets: {
          ...options.seedSecrets,
          [authTokenSecret]: token,
          ...(previousTokenSecret && options.previousToken
            ? { [previousTokenSecret]: options.previousToken }
            : {}),
          [ecrKeysSecret]: JSON.stringify({
            accessKeyId: collateEcrKeys.accessKeyId,
            secretAccessKey: collateEcrKeys.secretAccessKey,
          }),
        },
      });
      cleanups.push(() => secretsManager?.close());
    }
    const awsKeys: Record<string, string> = {
      [runnerKeys.accessKeyId]: runnerKeys.secretAccessKey,
      [operatorKeys.accessKeyId]: operatorKeys.secretAccessKey,
    };

    // The cluster: the sandbox emulator behind an EKS DescribeCluster stand-in, or a real one.
    let emulator: KubernetesEmulator | undefined;
    let eks: EksStandIn | undefined;
    let realCluster: KubernetesCluster | undefined;
    let s3: LocalS3 | undefined;
    let kubernetesApi: string;
    if (options.kubeconfig) {
      realCluster = await KubernetesCluster.connect({ mode: 'kubeconfig', path: options.kubeconfig });
      kubernetesApi = realCluster.config.server;
    } else {
      const operatorUser = 'local-operator';
      const identities: EksIdentity[] = [
        { ...runnerKeys, username: RUNNER_USER, groups: [LOCAL_GROUPS.bridge, LOCAL_GROUPS.registry] },
        { ...operatorKeys, username: operatorUser, groups: [LOCAL_GROUPS.operator] },
      ];
      // Argo's artifact repository with archiveLogs: the runner reads a run's log there once its pod is gone.
      s3 = await startLocalS3({
        region: LOCAL_REGION,
        accessKeys: { [runnerKeys.accessKeyId]: runnerKeys.secretAccessKey },
      });
      cleanups.push(() => s3?.close());
      emulator = await startKubernetesEmulator({
        auth: { mode: 'eks', region: LOCAL_REGION, clusterName: LOCAL_CLUSTER_NAME, credentials: identities },
        rbac: sandboxRbacRules(config, operatorUser),
        namespaces: [namespace],
        controller: { logArchive: s3.logSink, ...options.controller },
        log: (message) => log(`kubernetes emulator: ${message}`),
      });
      cleanups.push(() => emulator?.close());
      emulator.cluster.create(emulator.cluster.resource('', 'serviceaccounts'), namespace, {
        metadata: { name: settings.serviceAccountName },
      });
      eks = await startEksStandIn({
        accessKeys: awsKeys,
        clusters: { [LOCAL_CLUSTER_NAME]: { endpoint: emulator.url, caCertPem: emulator.caCert } },
      });
      cleanups.push(() => eks?.close());
      kubernetesApi = emulator.url;
      mkdirSync(dirname(options.kubeconfigPath), { recursive: true });
      writeFileSync(
        options.kubeconfigPath,
        operatorKubeconfig({
          server: emulator.url,
          caCert: emulator.caCert,
          namespace,
          cli: options.cli,
          keys: operatorKeys,
        }),
        { mode: 0o600 },
      );
      cleanups.push(() => rmSync(options.kubeconfigPath, { force: true }));
    }

    const ecr: EcrStandIn = await startEcrStandIn({
      accessKeys: { [collateEcrKeys.accessKeyId]: { secretAccessKey: collateEcrKeys.secretAccessKey } },
    });
    cleanups.push(() => ecr.close());
    const dynamo: LocalDynamoDb = await startLocalDynamoDb({ region: LOCAL_REGION, credentials: runnerKeys });
    cleanups.push(() => dynamo.close());
    // Outbound: the keeper dials this stand-in where in AWS it dials the Collate server (bridge.outbound.url).
    let collateSide: CollateSideStandIn | undefined;
    if (outbound) {
      collateSide = await startLocalCollateSide({ agentId: config.agentId, token, port: options.port, log });
      cleanups.push(() => collateSide?.close());
    }

    // What the stack sets on the functions, plus the SDK endpoint variables and the runner's keys.
    const registry = registryRefreshSettings(config);
    const restoreEnvironment = setEnvironment({
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: runnerKeys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: runnerKeys.secretAccessKey,
      AWS_SESSION_TOKEN: runnerKeys.sessionToken,
      AWS_PROFILE: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
      [AWS_ENDPOINT_ENV.dynamodb]: dynamo.endpoint,
      // With real Secrets Manager, whatever the user's environment says about its endpoint stays.
      ...(secretsManager ? { [AWS_ENDPOINT_ENV.secretsManager]: secretsManager.url } : {}),
      [AWS_ENDPOINT_ENV.eks]: eks?.url,
      [AWS_ENDPOINT_ENV.ecr]: ecr.url,
      [AWS_ENDPOINT_ENV.s3]: s3?.endpoint,
      [FUNCTION_ENV.logArchiveBucket]: s3?.bucket,
      [FUNCTION_ENV.settings]: settingsEnvironmentValue(config, { region: LOCAL_REGION }),
      [FUNCTION_ENV.clusterName]: LOCAL_CLUSTER_NAME,
      [FUNCTION_ENV.clusterRegion]: LOCAL_REGION,
      [FUNCTION_ENV.stateTable]: dynamo.stateTable,
      [FUNCTION_ENV.authTokenSecret]: authTokenSecret,
      // Outbound: no WebSocket API, so none of its variables (connections table, hardening of $connect and
      // $default); the keeper's URL instead. Inbound: source CIDRs, rate limit and a rotation's previous
      // token, as the stack sets them.
      ...(collateSide
        ? { [FUNCTION_ENV.outboundUrl]: collateSide.agentUrl }
        : {
            [FUNCTION_ENV.connectionsTable]: dynamo.connectionsTable,
            ...inboundHardeningEnvironment(config),
            ...sourceCidrsEnvironment(config),
            ...(previousTokenSecret ? { [FUNCTION_ENV.previousAuthTokenSecret]: previousTokenSecret } : {}),
          }),
      [FUNCTION_ENV.ecrKeysSecret]: ecrKeysSecret,
      [FUNCTION_ENV.registry]: JSON.stringify(registry),
      [FUNCTION_ENV.serviceName]: 'hybrid-runner-local',
      // The catalog's metrics, printed as readable lines and kept for GET /_local/metrics.
      [OBSERVABILITY_ENV.stage]: 'local',
      [OBSERVABILITY_ENV.agentId]: config.agentId,
      [OBSERVABILITY_ENV.metricsSink]: 'local',
    });
    cleanups.push(() => {
      restoreEnvironment();
      clearEksClusterInfoCache();
    });

    // The handlers read the environment when first used, so they are loaded only now.
    const [
      connect,
      disconnect,
      message,
      heartbeat,
      ecrRefresh,
      bridgeContext,
      runnerContext,
      newNamespacesModule,
    ] = await Promise.all([
      import('../../../functions/bridge/connect.ts'),
      import('../../../functions/bridge/disconnect.ts'),
      import('../../../functions/bridge/message.ts'),
      import('../../../functions/schedule/heartbeat.ts'),
      import('../../../functions/schedule/ecr-refresh.ts'),
      import('../../../functions/lib/bridge-context.ts'),
      import('../../../functions/lib/runner-context.ts'),
      import('../../../functions/lib/new-namespaces-check.ts'),
    ]);

    let gateway: WebSocketApi | undefined;
    if (!collateSide) {
      const startWebSocketApi: WebSocketApiStarter = options.webSocketApi ?? startLocalApiGateway;
      const api = await startWebSocketApi({
        handlers: { connect: connect.handler, disconnect: disconnect.handler, message: message.handler },
        port: options.port,
        onHandlerError: (route, error) =>
          log(`handler ${route} failed: ${(error as Error).stack ?? String(error)}`),
      });
      gateway = api;
      cleanups.push(() => api.close());
      process.env[FUNCTION_ENV.managementEndpoint] = api.managementEndpoint;
    }

    // The bridge is composed from the environment exactly as in Lambda; HYBRID_RUNNER_MANAGEMENT_ENDPOINT
    // (set above) points its senders at the plain-HTTP management API. Dropping the configuration on close
    // also drops what the composition cached, so a next stage in this process starts afresh.
    cleanups.push(() => bridgeContext.configureBridge(undefined));
    const secretsClient = new SecretsManagerClient({});
    cleanups.push(() => secretsClient.destroy());
    const dynamoClient = new DynamoDBClient({});
    cleanups.push(() => dynamoClient.destroy());

    // With a kubeconfig, the runner submits to that cluster (the composition root only knows EKS).
    const ecrDeps = ecrRefresh.ecrRefreshDepsFromEnv(process.env);
    if (realCluster) {
      const cluster = realCluster;
      runnerContext.configureRunner({
        settings,
        cluster,
        idempotency: new DynamoDbIdempotencyStore({ client: dynamoClient, tableName: dynamo.stateTable }),
        cursor: new DynamoDbCursorStore({ client: dynamoClient, tableName: dynamo.stateTable }),
        secrets: new SecretsManagerSecretStore({ client: secretsClient }),
        botToken: secretsManagerTokenProvider({ client: secretsClient, secretId: authTokenSecret }),
      });
      ecrDeps.cluster = async () => cluster;
    }
    cleanups.push(() => runnerContext.configureRunner(undefined));
    const refreshRegistry = ecrRefresh.createEcrRefreshHandler(ecrDeps);

    const heartbeatSeconds = options.heartbeatSeconds ?? DEFAULT_LOCAL_HEARTBEAT_SECONDS;
    const ecrRefreshMs = (options.ecrRefreshSeconds ?? DEFAULT_ECR_REFRESH_SECONDS) * 1000;
    const scheduler = startScheduler(
      [
        // Outbound: the keeper sends the heartbeat over its own socket; there is no heartbeat function.
        ...(collateSide
          ? []
          : [
              {
                name: 'heartbeat',
                intervalMs: heartbeatSeconds * 1000,
                run: async () => {
                  const context = scheduledContext('heartbeat', 50_000);
                  // Through the middy handler, as in Lambda, so its metrics are flushed after each beat.
                  const result = await heartbeat.handler(scheduledEvent(LOCAL_REGION), context);
                  const beat = result.heartbeat;
                  const reconcile = result.reconcile
                    ? `; ${result.reconcile.examined} run(s) examined, ${result.reconcile.reported} status event(s)`
                    : '';
                  const fresh = result.newNamespaces;
                  const namespaces = fresh?.refreshStarted
                    ? `; registry refresh started for ${fresh.newNamespaces.join(', ')}`
                    : fresh?.error
                      ? `; ${fresh.error}`
                      : '';
                  return `runnerStatus to ${beat.sent} of ${beat.connections} connection(s), ${beat.gone.length} gone, ${beat.failed} failed${reconcile}${namespaces}`;
                },
              },
            ]),
        {
          name: 'ecr-refresh',
          intervalMs: ecrRefreshMs,
          runAtStart: true,
          // The stack's Scheduler window, at most half the period so a short local period still refreshes.
          flexibleWindowMs: Math.min(REGISTRY_REFRESH_DEFAULTS.maxJitterMinutes * 60_000, ecrRefreshMs / 2),
          run: async () => {
            const result = await refreshRegistry(
              { trigger: 'schedule' },
              scheduledContext('ecr-refresh', 900_000),
            );
            return `${result.secretName} updated in ${result.updated} namespace(s)${result.expiresAt ? `, expires ${result.expiresAt}` : ''}`;
          },
        },
      ],
      (outcome) => options.onTask?.(outcome),
    );
    cleanups.push(() => scheduler.stop());
    // The heartbeat's new-namespace check starts this stage's refresh (in AWS: an asynchronous invocation
    // of the refresh function), without waiting for it, when the targets have patterns.
    const newNamespaces = {
      ingestionNamespace: settings.namespace,
      namespaces: registry.include,
      excludeNamespaces: registry.exclude,
      secretName: registry.pullSecretName,
    };
    newNamespacesModule.configureNewNamespacesCheck(
      needsNamespaceList(newNamespaces)
        ? {
            settings: newNamespaces,
            refresh: {
              start: async () => {
                void scheduler.runNow('ecr-refresh');
              },
            },
          }
        : null,
    );
    cleanups.push(() => newNamespacesModule.configureNewNamespacesCheck(undefined));

    if (collateSide) {
      const [keeper, keeperContext] = await Promise.all([
        import('../../../functions/bridge/keeper.ts'),
        import('../../../functions/lib/keeper-context.ts'),
      ]);
      // Stopped before the stand-in closes (cleanups run in reverse): each keeper closes its socket with 1000.
      cleanups.push(() => keeperContext.configureKeeper(undefined));
      const keeperSchedule = await startLocalKeeper({
        collateSide,
        handler: keeper.handler as never,
        lifetimeMs: config.bridge.outbound.keeper.timeoutSeconds * 1000,
        log,
      });
      cleanups.push(() => keeperSchedule.stop());
    }

    // Scenarios for the sandbox cluster's Argo stand-in (when there is one) and the metrics snapshot.
    const control: SandboxControl = await startSandboxControl({
      ...(emulator?.controller ? { controller: emulator.controller } : {}),
      token,
      metrics: metricsSnapshot,
    });
    cleanups.push(() => control.close());
    if (emulator) {
      // Denied requests are what least privilege costs: worth a line in the log when they happen.
      const audit = emulator.audit;
      let seen = 0;
      const watcher = setInterval(() => {
        const entries = audit.entries({ allowed: false });
        for (const entry of entries.slice(seen))
          log(
            `RBAC denied ${entry.user} ${entry.verb} ${entry.resource} in ${entry.namespace ?? '(cluster)'}`,
          );
        seen = entries.length;
      }, 1000);
      watcher.unref();
      cleanups.push(() => clearInterval(watcher));
    }

    const clientEnv: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      // With real Secrets Manager the CLI uses the user's own credentials; else the operator's placeholders.
      ...(secretsManager
        ? { AWS_ACCESS_KEY_ID: operatorKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: operatorKeys.secretAccessKey }
        : {}),
      [AWS_ENDPOINT_ENV.dynamodb]: dynamo.endpoint,
      [AWS_ENDPOINT_ENV.ecr]: ecr.url,
      ...(secretsManager ? { [AWS_ENDPOINT_ENV.secretsManager]: secretsManager.url } : {}),
      ...(eks ? { [AWS_ENDPOINT_ENV.eks]: eks.url } : {}),
      KUBECONFIG: options.kubeconfig ?? options.kubeconfigPath,
      HYBRID_RUNNER_NAMESPACE: namespace,
    };

    return {
      url: gateway?.url ?? collateSide!.relayUrl,
      ...(gateway ? { managementEndpoint: gateway.managementEndpoint } : {}),
      ...(collateSide ? { collateSide } : {}),
      agentId: config.agentId,
      token,
      namespace,
      config,
      kubernetesApi,
      ...(emulator?.controller ? { sandboxControl: control.url } : {}),
      metricsEndpoint: `${control.url}${LOCAL_METRICS_PATH}`,
      ...(emulator ? { runnerSubject: { user: RUNNER_USER, groups: [LOCAL_GROUPS.bridge] } } : {}),
      clientEnv,
      ...(emulator ? { emulator } : {}),
      ...(s3 ? { logArchive: { endpoint: s3.endpoint, bucket: s3.bucket } } : {}),
      scheduler,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
