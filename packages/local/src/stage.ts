// The local stage behind `npm start`: the SAME Lambda handlers as in AWS, built by their own composition
// roots from the environment the stack would set (FUNCTION_ENV), with the AWS SDK pointed at wire-level
// stand-ins through its service endpoint variables (AWS_ENDPOINT_URL_<SERVICE>): Secrets Manager, ECR and
// EKS DescribeCluster stand-ins, DynamoDB through dynalite, the sandbox cluster (the Kubernetes API
// emulator with the simulated Argo controller, EKS-token authentication and the stack's least-privilege
// RBAC), the local API Gateway (inbound mode) or the Collate-side stand-in the keeper dials (outbound mode), and
// in-process schedules instead of EventBridge.
// What it cannot prove: IAM, real Argo, real pods, API Gateway itself, the Collate server (see docs/local-stage.md).
import {
  toRunnerSettings,
  registryRefreshSettings,
  type BridgeMode,
  type StageConfig,
} from '@hybrid-runner/config';
import type { ControllerOptions, KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { metricsSnapshot, redactText } from '@hybrid-runner/observability';
import { startStageEcr, startStageSecretsManager } from './aws-stand-ins.ts';
import { localClientEnvironment } from './client-environment.ts';
import { cleanupStack } from './cleanups.ts';
import type { CollateSideStandIn } from './collate-side/server.ts';
import { startLocalDynamoDb } from './dynamodb.ts';
import { setLocalFunctionEnvironment } from './function-environment.ts';
import { startInboundBridge, type WebSocketApi, type WebSocketApiStarter } from './inbound-bridge.ts';
import { startLocalCollateSide, startOutboundKeeper } from './outbound-bridge.ts';
import { logRbacDenials } from './rbac-denial-log.ts';
import { startStageCluster } from './sandbox-cluster.ts';
import { LOCAL_METRICS_PATH, startSandboxControl } from './sandbox-control.ts';
import { LOCAL_GROUPS, RUNNER_USER } from './sandbox-rbac.ts';
import type { Scheduler, TaskOutcome } from './scheduler.ts';
import { LOCAL_REGION, localStageConfig, stageSecretIds } from './stage-config.ts';
import { resolveStageCredentials } from './stage-credentials.ts';
import { composeRunner, loadStageFunctions } from './stage-functions.ts';
import { configureNewNamespacesRefresh, startStageSchedules } from './stage-schedules.ts';

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

export async function startLocalStage(options: LocalStageOptions): Promise<LocalStage> {
  // The stage's own lines (handler failures with their stacks, emulator rejections) are redacted like the
  // handlers' structured logs.
  const log = (message: string) => options.log?.(redactText(message));
  const config = localStageConfig(options.agentId, options.env ?? {}, options.bridgeMode);
  const outbound = config.bridge.mode === 'outbound';
  const settings = toRunnerSettings(config, { region: LOCAL_REGION });
  const namespace = config.namespaces.ingestion;
  const secretIds = stageSecretIds(config);
  if (secretIds.previousAuthToken && options.previousToken === undefined) {
    throw new Error(
      'bridge.previousAuthToken is set for the local stage: give the previous token too (previousToken), or drop the override.',
    );
  }
  // Each part registers its undo as it starts; closing runs them in reverse.
  const cleanups = cleanupStack(log);
  const closeAll = () => cleanups.runAll();

  try {
    // The runner's identity and the secrets: placeholders in the Secrets Manager stand-in, or the real one's.
    const credentials = await resolveStageCredentials({
      token: options.token,
      secretIds,
      useAwsSecretsManager: options.useAwsSecretsManager,
    });
    const { token } = credentials;
    const secretsManager = credentials.fromAwsSecretsManager
      ? undefined
      : await startStageSecretsManager(
          {
            credentials,
            secretIds,
            previousToken: options.previousToken,
            seedSecrets: options.seedSecrets,
          },
          cleanups,
        );

    // The cluster: the sandbox emulator behind an EKS DescribeCluster stand-in, or a real one.
    const cluster = await startStageCluster(
      {
        config,
        serviceAccountName: settings.serviceAccountName,
        credentials,
        kubeconfig: options.kubeconfig,
        kubeconfigPath: options.kubeconfigPath,
        cli: options.cli,
        controller: options.controller,
        log,
      },
      cleanups,
    );
    const { emulator, eks, s3 } = cluster;

    const ecr = await startStageEcr(credentials, cleanups);
    const dynamo = await startLocalDynamoDb({ region: LOCAL_REGION, credentials: credentials.runner });
    cleanups.add(() => dynamo.close());
    // Outbound: the keeper dials this stand-in where in AWS it dials the Collate server (bridge.outbound.url).
    const collateSide = outbound
      ? await startLocalCollateSide({ agentId: config.agentId, token, port: options.port, log })
      : undefined;
    if (collateSide) cleanups.add(() => collateSide.close());

    // What the stack sets on the functions, plus the SDK endpoint variables and the runner's keys.
    setLocalFunctionEnvironment(
      {
        config,
        secretIds,
        runnerKeys: credentials.runner,
        endpoints: {
          dynamodb: dynamo.endpoint,
          ecr: ecr.url,
          ...(secretsManager ? { secretsManager: secretsManager.url } : {}),
          ...(eks ? { eks: eks.url } : {}),
          ...(s3 ? { s3: s3.endpoint } : {}),
        },
        tables: { state: dynamo.stateTable, connections: dynamo.connectionsTable },
        ...(s3 ? { logArchiveBucket: s3.bucket } : {}),
        ...(collateSide ? { outboundUrl: collateSide.agentUrl } : {}),
      },
      cleanups,
    );

    const functions = await loadStageFunctions();
    const gateway: WebSocketApi | undefined = collateSide
      ? undefined
      : await startInboundBridge(
          {
            handlers: {
              connect: functions.connect.handler,
              disconnect: functions.disconnect.handler,
              message: functions.message.handler,
            },
            port: options.port,
            webSocketApi: options.webSocketApi,
            log,
          },
          cleanups,
        );
    const { refreshRegistry } = composeRunner(
      {
        functions,
        settings,
        realCluster: cluster.realCluster,
        stateTable: dynamo.stateTable,
        authTokenSecret: secretIds.authToken,
      },
      cleanups,
    );

    const scheduler = startStageSchedules(
      {
        functions,
        refreshRegistry,
        outbound,
        heartbeatSeconds: options.heartbeatSeconds,
        ecrRefreshSeconds: options.ecrRefreshSeconds,
        onTask: options.onTask,
      },
      cleanups,
    );
    configureNewNamespacesRefresh(
      {
        functions,
        ingestionNamespace: settings.namespace,
        registry: registryRefreshSettings(config),
        scheduler,
      },
      cleanups,
    );

    if (collateSide) {
      await startOutboundKeeper(
        { collateSide, lifetimeMs: config.bridge.outbound.keeper.timeoutSeconds * 1000, log },
        cleanups,
      );
    }

    // Scenarios for the sandbox cluster's Argo stand-in (when there is one) and the metrics snapshot.
    const control = await startSandboxControl({
      ...(emulator?.controller ? { controller: emulator.controller } : {}),
      token,
      metrics: metricsSnapshot,
    });
    cleanups.add(() => control.close());
    if (emulator) cleanups.add(logRbacDenials(emulator.audit, log));

    const clientEnv = localClientEnvironment({
      operatorKeys: credentials.operator,
      endpoints: {
        dynamodb: dynamo.endpoint,
        ecr: ecr.url,
        secretsManager: secretsManager?.url,
        eks: eks?.url,
      },
      kubeconfig: options.kubeconfig ?? options.kubeconfigPath,
      namespace,
    });

    return {
      url: gateway?.url ?? collateSide!.relayUrl,
      ...(gateway ? { managementEndpoint: gateway.managementEndpoint } : {}),
      ...(collateSide ? { collateSide } : {}),
      agentId: config.agentId,
      token,
      namespace,
      config,
      kubernetesApi: cluster.kubernetesApi,
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
