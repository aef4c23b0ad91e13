// The runner's infrastructure as a function of the stage configuration. Uses SST's globals (`sst`, `aws`,
// `kubernetes`, `$app`, `$util`); sst.config.ts calls deployRunner from its run(). All IAM and RBAC content
// comes from iam-policies.ts and cluster-access.ts. Nothing of ours runs on the worker nodes: the only
// Kubernetes objects made here are a namespace, a service account, RBAC, (optionally) Argo's chart and a
// Karpenter NodePool for the ingestion pods, and with logs.archive the ingestion namespace's artifact
// repository ConfigMap (Argo's log archive).
//
// This file wires the parts in order; each part lives in its own file: functions.ts, tables.ts,
// secrets.ts, bridge.ts (inbound: the WebSocket API) or keeper.ts (outbound: the dial-out keeper), cluster.ts,
// ingestion.ts, rbac-resources.ts, placement-resources.ts, argo.ts, registry-refresh.ts, log-archive.ts.
import { logArchiveSettings, registryRefreshSettings, toRunnerSettings } from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import { installArgo } from './argo.ts';
import { deployBridge } from './bridge.ts';
import { clusterAccessObjects } from './cluster-access.ts';
import { clusterRegionOptions, connectCluster } from './cluster.ts';
import { MODE_FUNCTIONS, baseEnvironment, functionMaker, functionVpc, lambdaNames } from './functions.ts';
import type { FunctionKey } from './functions.ts';
import { logArchiveObjectsArn } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';
import { deployIngestionNamespace } from './ingestion.ts';
import { deployOutboundBridge } from './keeper.ts';
import { configureArgoLogArchive, createLogArchiveBucket } from './log-archive.ts';
import { createArgoFargateProfile, createIngestionNodePool } from './placement-resources.ts';
import { createObservability } from './observability.ts';
import { applyRbac } from './rbac-resources.ts';
import { deployRegistryRefresh } from './registry-refresh.ts';
import { storedSecret } from './secrets.ts';
import { createStateTable, createTables } from './tables.ts';

export { ARGO_HELM_REPOSITORY, argoValues } from './argo.ts';
export { deployerKubeconfig } from './cluster.ts';
export { HANDLERS, lambdaName } from './functions.ts';

/** Inbound: the WebSocket API's endpoints. Outbound: none of ours, only the Collate URL the keeper dials. */
export type RunnerOutputs = {
  agentId: string;
  dashboardUrl: $util.Output<string>;
} & (
  { websocketUrl: $util.Output<string>; managementEndpoint: $util.Output<string> } | { outboundUrl: string }
);

export function deployRunner(config: StageConfig): RunnerOutputs {
  const registryEnabled = config.ecr.enabled;
  const vpc = functionVpc(config);
  const clusterOptions = clusterRegionOptions(config);

  const identity = aws.getCallerIdentityOutput({});
  const partition = aws.getPartitionOutput({});
  const region = aws.getRegionOutput({});
  const clusterRegion = $util.output(config.cluster.region ?? region.region);
  const account = $util
    .all([partition.partition, region.region, identity.accountId])
    .apply(([partitionName, regionName, accountId]): AccountContext => ({
      partition: partitionName,
      region: regionName,
      accountId,
    }));
  const names = lambdaNames();
  const outbound = config.bridge.mode === 'outbound';

  const tables = outbound ? { state: createStateTable() } : createTables();
  const archive = logArchiveSettings(config);
  const logBucket = archive ? createLogArchiveBucket(archive, partition.partition) : undefined;
  const logArchive = logBucket
    ? {
        bucketName: logBucket.name,
        archivedLogsArn: logBucket.arn.apply((arn) => logArchiveObjectsArn(arn, config.namespaces.ingestion)),
      }
    : undefined;

  const authTokenSecretArn = storedSecret('AuthToken', config.authToken, 'Collate ingestion bot JWT');
  // During a rotation, the token being replaced (accepted until bridge.previousAuthToken.retireAt).
  const previousToken = config.bridge.previousAuthToken;
  const previousAuthTokenSecretArn = previousToken
    ? storedSecret(
        'PreviousAuthToken',
        previousToken.secretArn
          ? { secretArn: previousToken.secretArn }
          : { sstSecret: previousToken.sstSecret as string },
        'Collate ingestion bot JWT being rotated out',
      )
    : undefined;
  const ecrKeysSecretArn = registryEnabled
    ? storedSecret('EcrKeys', config.ecr.keys, "Collate's ECR keys (JSON accessKeyId/secretAccessKey)")
    : undefined;

  const environment = baseEnvironment(config, region.region, clusterRegion);
  const makeFunction = functionMaker(config, names, vpc);
  const tokens = {
    authTokenSecretArn,
    ...(previousAuthTokenSecretArn ? { previousAuthTokenSecretArn } : {}),
  };
  const common = { config, account, clusterRegion, names, vpc, baseEnvironment: environment, makeFunction };
  const bridge =
    'connections' in tables
      ? {
          mode: 'inbound' as const,
          ...deployBridge({ ...common, ...tokens, tables, ...(logArchive ? { logArchive } : {}) }),
        }
      : {
          mode: 'outbound' as const,
          ...deployOutboundBridge({
            ...common,
            ...tokens,
            stateTable: tables.state,
            ...(logArchive ? { logArchive } : {}),
          }),
        };

  const { cluster, provider: k8s } = connectCluster(config, clusterOptions, clusterRegion, bridge.role);
  const ingestion = deployIngestionNamespace(
    config,
    account,
    cluster,
    clusterRegion,
    k8s,
    clusterOptions,
    logArchive?.archivedLogsArn,
  );
  if (logBucket) {
    configureArgoLogArchive({
      config,
      bucket: logBucket,
      region: region.region,
      dnsSuffix: partition.dnsSuffix,
      provider: k8s,
      dependsOn: [ingestion.namespace],
    });
  }

  const registry = registryEnabled ? registryRefreshSettings(config) : undefined;
  const rbac = clusterAccessObjects({
    ingestionNamespace: config.namespaces.ingestion,
    serviceAccount: config.ingestionPods.serviceAccount.name,
    secretsProvider: config.secretsManager.provider,
    ...(registry ? { registry } : {}),
  }).map((object) =>
    applyRbac(object, k8s, [
      ingestion.namespace,
      ...(ingestion.serviceAccount ? [ingestion.serviceAccount] : []),
    ]),
  );

  // Before Argo's chart: Fargate places a pod only when it is created, so the profile must exist first.
  const argoProfile = createArgoFargateProfile(config, account, clusterRegion, clusterOptions);
  if (config.argo.install) installArgo(config, k8s, argoProfile ? [argoProfile] : []);
  createIngestionNodePool(config, k8s);

  if (registry && ecrKeysSecretArn) {
    deployRegistryRefresh({
      config,
      account,
      clusterRegion,
      clusterOptions,
      names,
      vpc,
      baseEnvironment: environment,
      makeFunction,
      registry,
      ecrKeysSecretArn,
      rbac,
    });
  }

  const observability = createObservability({
    name: `${$app.name}-${$app.stage}`,
    stage: $app.stage,
    agentId: config.agentId,
    region: region.region,
    functions: deployedNames(names, [
      ...MODE_FUNCTIONS[config.bridge.mode],
      ...(registryEnabled ? (['registryRefresh'] as const) : []),
    ]),
    tables:
      'connections' in tables
        ? { connections: tables.connections.name, state: tables.state.name }
        : { state: tables.state.name },
    alarmEmails: config.alarms.emails,
    registryEnabled,
    ...(bridge.mode === 'outbound' ? { bridgeMode: bridge.mode } : {}),
  });

  const agentId = toRunnerSettings(config).agentId;
  const dashboardUrl = observability.dashboardUrl;
  return bridge.mode === 'inbound'
    ? {
        websocketUrl: bridge.api.url,
        managementEndpoint: bridge.api.managementEndpoint,
        agentId,
        dashboardUrl,
      }
    : { outboundUrl: bridge.outboundUrl, agentId, dashboardUrl };
}

/** The names of the functions the stage deploys, in HANDLERS order (the dashboard's and alarms' order). */
function deployedNames(
  names: Record<FunctionKey, string>,
  deployed: readonly FunctionKey[],
): Partial<Record<FunctionKey, string>> {
  return Object.fromEntries(
    Object.entries(names).filter(([key]) => deployed.includes(key as FunctionKey)),
  ) as Partial<Record<FunctionKey, string>>;
}
