// The runner's infrastructure as a function of the stage configuration. Uses SST's globals (`sst`, `aws`,
// `kubernetes`, `$app`, `$util`); sst.config.ts calls deployRunner from its run(). All IAM and RBAC content
// comes from iam-policies.ts and cluster-access.ts. Nothing of ours runs on the worker nodes: the only
// Kubernetes objects made here are a namespace, a service account, RBAC, (optionally) Argo's chart and a
// Karpenter NodePool for the ingestion pods, and with logs.archive the ingestion namespace's artifact
// repository ConfigMap (Argo's log archive).
//
// This file wires the parts in order; each part lives in its own file: functions.ts, tables.ts,
// secrets.ts, bridge.ts, cluster.ts, ingestion.ts, rbac-resources.ts, placement-resources.ts, argo.ts,
// registry-refresh.ts, log-archive.ts.
import { logArchiveSettings, registryRefreshSettings, toRunnerSettings } from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import { installArgo } from './argo.ts';
import { deployBridge } from './bridge.ts';
import { clusterAccessObjects } from './cluster-access.ts';
import { clusterRegionOptions, connectCluster } from './cluster.ts';
import { baseEnvironment, functionMaker, functionVpc, lambdaNames } from './functions.ts';
import type { FunctionKey } from './functions.ts';
import { logArchiveObjectsArn } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';
import { deployIngestionNamespace } from './ingestion.ts';
import { configureArgoLogArchive, createLogArchiveBucket } from './log-archive.ts';
import { createArgoFargateProfile, createIngestionNodePool } from './placement-resources.ts';
import { createObservability } from './observability.ts';
import { applyRbac } from './rbac-resources.ts';
import { deployRegistryRefresh } from './registry-refresh.ts';
import { storedSecret } from './secrets.ts';
import { createTables } from './tables.ts';

export { ARGO_HELM_REPOSITORY, argoValues } from './argo.ts';
export { deployerKubeconfig } from './cluster.ts';
export { HANDLERS, lambdaName } from './functions.ts';

export interface RunnerOutputs {
  websocketUrl: $util.Output<string>;
  managementEndpoint: $util.Output<string>;
  agentId: string;
  dashboardUrl: $util.Output<string>;
}

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

  const tables = createTables();
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
  const bridge = deployBridge({
    config,
    account,
    clusterRegion,
    names,
    tables,
    authTokenSecretArn,
    ...(previousAuthTokenSecretArn ? { previousAuthTokenSecretArn } : {}),
    vpc,
    baseEnvironment: environment,
    makeFunction,
    ...(logArchive ? { logArchive } : {}),
  });

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
    functions: registryEnabled ? names : withoutRegistry(names),
    tables: { connections: tables.connections.name, state: tables.state.name },
    alarmEmails: config.alarms.emails,
    registryEnabled,
  });

  return {
    websocketUrl: bridge.api.url,
    managementEndpoint: bridge.api.managementEndpoint,
    agentId: toRunnerSettings(config).agentId,
    dashboardUrl: observability.dashboardUrl,
  };
}

function withoutRegistry(names: Record<FunctionKey, string>): Partial<Record<FunctionKey, string>> {
  const { registryRefresh: _registryRefresh, ...bridgeNames } = names;
  return bridgeNames;
}
