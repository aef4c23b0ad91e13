// The runner's infrastructure as a function of the stage configuration. Uses SST's globals (`sst`, `aws`,
// `kubernetes`, `$app`, `$util`); sst.config.ts calls deployRunner from its run(). All IAM and RBAC content
// comes from iam-policies.ts and cluster-access.ts. Nothing of ours runs on the worker nodes: the only
// Kubernetes objects made here are a namespace, a service account, RBAC and (optionally) Argo's chart.
import { connectionsTableDefinition, runnerStateTableDefinition } from '@hybrid-runner/aws';
import {
  FUNCTION_ENV,
  jwksEnvironment,
  IRSA_ROLE_ANNOTATION,
  registryRefreshSettings,
  settingsEnvironmentValue,
  toRunnerSettings,
} from '@hybrid-runner/config';
import type { SecretLocation, StageConfig } from '@hybrid-runner/config';
import { FUNCTION_GROUPS, clusterAccessObjects } from './cluster-access.ts';
import { createObservability } from './observability.ts';
import { METRICS_NAMESPACE, OBSERVABILITY_ENV } from '@hybrid-runner/observability';
import { REGISTRY_REFRESH_DEFAULTS } from '@hybrid-runner/core';
import { ECR_REFRESH_WORK_BUDGET_MS } from '../functions/schedule/ecr-refresh.ts';
import { esbuildOptionsFor } from '../functions/lib/bundling.ts';
import type { RbacObject } from './cluster-access.ts';
import {
  bridgePolicy,
  ingestionPodsPolicy,
  irsaTrustPolicy,
  lambdaTrustPolicy,
  podIdentityTrustPolicy,
  registryPolicy,
  secretPrefixArn,
} from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';

export const ARGO_HELM_REPOSITORY = 'https://argoproj.github.io/argo-helm';
/** Where each handler lives (export `handler`), relative to the repository root. */
export const HANDLERS = {
  connect: 'functions/bridge/connect.handler',
  disconnect: 'functions/bridge/disconnect.handler',
  message: 'functions/bridge/message.handler',
  heartbeat: 'functions/schedule/heartbeat.handler',
  registryRefresh: 'functions/schedule/ecr-refresh.handler',
} as const;
type FunctionKey = keyof typeof HANDLERS;

const LAMBDA_NAME_LIMIT = 64;
/**
 * API Gateway gives an integration 29 s; the heartbeat must finish inside its one-minute period; the
 * registry refresh waits a random delay (spreading logins) and then needs its work budget.
 */
const TIMEOUTS: Record<FunctionKey, `${number} seconds`> = {
  connect: '10 seconds',
  disconnect: '10 seconds',
  message: '29 seconds',
  heartbeat: '50 seconds',
  registryRefresh: `${REGISTRY_REFRESH_DEFAULTS.maxJitterMinutes * 60 + ECR_REFRESH_WORK_BUDGET_MS / 1000} seconds`,
};

export function lambdaName(app: string, stage: string, key: FunctionKey): string {
  const suffix = key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const name = `${app}-${stage}-${suffix}`;
  if (name.length > LAMBDA_NAME_LIMIT) {
    throw new Error(
      `Function name ${name} is longer than ${LAMBDA_NAME_LIMIT} characters: use a shorter stage name.`,
    );
  }
  return name;
}

export interface RunnerOutputs {
  websocketUrl: $util.Output<string>;
  managementEndpoint: $util.Output<string>;
  agentId: string;
  dashboardUrl: $util.Output<string>;
}

export function deployRunner(config: StageConfig): RunnerOutputs {
  const registryEnabled = config.ecr.enabled;
  const vpc = config.vpc
    ? { privateSubnets: config.vpc.subnetIds, securityGroups: config.vpc.securityGroupIds }
    : undefined;
  const clusterProvider = config.cluster.region
    ? new aws.Provider('ClusterRegion', { region: config.cluster.region as aws.Region })
    : undefined;
  const clusterOptions = clusterProvider ? { provider: clusterProvider } : {};

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
  const names = Object.fromEntries(
    (Object.keys(HANDLERS) as FunctionKey[]).map((key) => [key, lambdaName($app.name, $app.stage, key)]),
  ) as Record<FunctionKey, string>;

  // Tables: on demand, TTL-expired items, point-in-time recovery. Shapes come from the adapters that use them.
  const connectionsTable = new aws.dynamodb.Table('Connections', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: connectionsTableDefinition.partitionKey,
    attributes: [{ name: connectionsTableDefinition.partitionKey, type: 'S' }],
    ttl: { attributeName: connectionsTableDefinition.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
  });
  const stateTable = new aws.dynamodb.Table('RunnerState', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: runnerStateTableDefinition.partitionKey,
    attributes: [{ name: runnerStateTableDefinition.partitionKey, type: 'S' }],
    ttl: { attributeName: runnerStateTableDefinition.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
  });

  const authTokenSecretArn = storedSecret('AuthToken', config.authToken, 'Collate ingestion bot JWT');
  const ecrKeysSecretArn = registryEnabled
    ? storedSecret('EcrKeys', config.ecr.keys, "Collate's ECR keys (JSON accessKeyId/secretAccessKey)")
    : undefined;

  const api = new sst.aws.ApiGatewayWebSocket('Bridge');
  const apiExecutionArn = api.nodes.api.executionArn;

  const bridgeRole = new aws.iam.Role('BridgeRole', {
    description: 'Bridge and heartbeat functions of the hybrid runner',
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });
  const bridgeRolePolicy = new aws.iam.RolePolicy('BridgeRolePolicy', {
    role: bridgeRole.name,
    policy: $util
      .all([
        account,
        clusterRegion,
        connectionsTable.arn,
        stateTable.arn,
        apiExecutionArn,
        authTokenSecretArn,
      ])
      .apply(([context, clusterRegionName, connectionsArn, stateArn, executionArn, tokenArn]) =>
        JSON.stringify(
          bridgePolicy({
            account: context,
            functionNames: [names.connect, names.disconnect, names.message, names.heartbeat],
            connectionsTableArn: connectionsArn,
            stateTableArn: stateArn,
            apiExecutionArn: executionArn,
            authTokenSecretArn: tokenArn,
            clusterName: config.cluster.name,
            clusterRegion: clusterRegionName,
            ...(config.secretsManager.provider === 'managed-aws'
              ? {
                  secretReferencePrefixArn: secretPrefixArn(
                    context,
                    config.secretsManager.prefix,
                    config.secretsManager.region ?? clusterRegionName,
                  ),
                }
              : {}),
            tracing: config.observability.tracing,
            vpc: Boolean(vpc),
          }),
        ),
      ),
  });

  const baseEnvironment = {
    [FUNCTION_ENV.settings]: region.region.apply((regionName) =>
      settingsEnvironmentValue(config, { region: config.cluster.region ?? regionName }),
    ),
    [FUNCTION_ENV.clusterName]: config.cluster.name,
    [FUNCTION_ENV.clusterRegion]: clusterRegion,
    [FUNCTION_ENV.logLevel]: config.observability.logLevel,
    [FUNCTION_ENV.serviceName]: `hybrid-runner-${$app.stage}`,
    // Metric dimensions and switches the observability package reads; the alarms select on the same values.
    [OBSERVABILITY_ENV.stage]: $app.stage,
    [OBSERVABILITY_ENV.agentId]: config.agentId,
    [OBSERVABILITY_ENV.tracing]: String(config.observability.tracing),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
  const bridgeEnvironment = {
    ...baseEnvironment,
    [FUNCTION_ENV.connectionsTable]: connectionsTable.name,
    [FUNCTION_ENV.stateTable]: stateTable.name,
    [FUNCTION_ENV.authTokenSecret]: authTokenSecretArn,
    [FUNCTION_ENV.managementEndpoint]: api.managementEndpoint,
  };

  const makeFunction = (
    id: string,
    key: FunctionKey,
    role: aws.iam.Role,
    environment: Record<string, $util.Input<string>>,
    dependsOn: $util.Resource[],
  ) =>
    new sst.aws.Function(
      id,
      {
        name: names[key],
        description: `hybrid runner ${key} (${$app.stage})`,
        handler: HANDLERS[key],
        runtime: 'nodejs24.x',
        role: role.arn,
        timeout: TIMEOUTS[key],
        memory: '512 MB',
        environment,
        // connect/disconnect: the AWS SDK from the Lambda runtime (bundle budget; functions/lib/bundling.ts).
        nodejs: { esbuild: esbuildOptionsFor(key) },
        ...(vpc ? { vpc } : {}),
        ...(config.observability.tracing
          ? {
              transform: {
                function: (args: aws.lambda.FunctionArgs) => {
                  args.tracingConfig = { mode: 'Active' };
                },
              },
            }
          : {}),
      },
      { dependsOn },
    );

  const connect = makeFunction(
    'BridgeConnect',
    'connect',
    bridgeRole,
    { ...bridgeEnvironment, ...jwksEnvironment(config) },
    [bridgeRolePolicy],
  );
  const disconnect = makeFunction('BridgeDisconnect', 'disconnect', bridgeRole, bridgeEnvironment, [
    bridgeRolePolicy,
  ]);
  const message = makeFunction('BridgeMessage', 'message', bridgeRole, bridgeEnvironment, [bridgeRolePolicy]);
  const heartbeat = makeFunction('Heartbeat', 'heartbeat', bridgeRole, bridgeEnvironment, [bridgeRolePolicy]);
  api.route('$connect', connect.arn);
  api.route('$disconnect', disconnect.arn);
  api.route('$default', message.arn);
  schedule(
    'Heartbeat',
    config.schedules.heartbeat,
    heartbeat,
    'Keeps Collate connections alive and reports run states',
  );

  // The cluster: access entries map each role to a Kubernetes group; RBAC grants the groups what they need.
  const cluster = aws.eks.getClusterOutput({ name: config.cluster.name }, clusterOptions);
  new aws.eks.AccessEntry(
    'BridgeAccess',
    {
      clusterName: config.cluster.name,
      principalArn: bridgeRole.arn,
      kubernetesGroups: [FUNCTION_GROUPS.bridge],
      type: 'STANDARD',
    },
    clusterOptions,
  );
  const k8s = new kubernetes.Provider('Cluster', {
    kubeconfig: $util
      .all([cluster.endpoint, cluster.certificateAuthorities, clusterRegion])
      .apply(([endpoint, authorities, clusterRegionName]) =>
        deployerKubeconfig(endpoint, authorities[0]?.data ?? '', config.cluster.name, clusterRegionName),
      ),
  });
  const k8sOptions = { provider: k8s };

  const ingestionNamespace = new kubernetes.core.v1.Namespace(
    'IngestionNamespace',
    { metadata: { name: config.namespaces.ingestion } },
    // A namespace may hold more than ours (pipeline secrets, runs): `sst remove` leaves it.
    { ...k8sOptions, retainOnDelete: true },
  );
  const pods = config.ingestionPods;
  const podRole =
    pods.identity !== 'none' && !(IRSA_ROLE_ANNOTATION in pods.serviceAccount.annotations)
      ? ingestionPodsRole(config, account, cluster, clusterRegion)
      : undefined;
  const annotations = {
    ...pods.serviceAccount.annotations,
    ...(podRole && pods.identity === 'irsa' ? { [IRSA_ROLE_ANNOTATION]: podRole.arn } : {}),
  };
  const serviceAccount = pods.serviceAccount.create
    ? new kubernetes.core.v1.ServiceAccount(
        'IngestionServiceAccount',
        { metadata: { name: pods.serviceAccount.name, namespace: config.namespaces.ingestion, annotations } },
        { ...k8sOptions, dependsOn: [ingestionNamespace] },
      )
    : undefined;
  if (podRole && pods.identity === 'pod-identity') {
    new aws.eks.PodIdentityAssociation(
      'IngestionPodIdentity',
      {
        clusterName: config.cluster.name,
        namespace: config.namespaces.ingestion,
        serviceAccount: pods.serviceAccount.name,
        roleArn: podRole.arn,
      },
      clusterOptions,
    );
  }

  const registry = registryEnabled ? registryRefreshSettings(config) : undefined;
  const rbac = clusterAccessObjects({
    ingestionNamespace: config.namespaces.ingestion,
    serviceAccount: pods.serviceAccount.name,
    secretsProvider: config.secretsManager.provider,
    ...(registry ? { registry } : {}),
  }).map((object) =>
    applyRbac(object, k8s, [ingestionNamespace, ...(serviceAccount ? [serviceAccount] : [])]),
  );

  if (config.argo.install) installArgo(config, k8s);

  if (registry && ecrKeysSecretArn) {
    const registryRole = new aws.iam.Role('RegistryRole', {
      description: 'Registry refresh function of the hybrid runner',
      assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
    });
    const registryRolePolicy = new aws.iam.RolePolicy('RegistryRolePolicy', {
      role: registryRole.name,
      policy: $util
        .all([account, clusterRegion, ecrKeysSecretArn])
        .apply(([context, clusterRegionName, keysArn]) =>
          JSON.stringify(
            registryPolicy({
              account: context,
              functionName: names.registryRefresh,
              ecrKeysSecretArn: keysArn,
              clusterName: config.cluster.name,
              clusterRegion: clusterRegionName,
              tracing: config.observability.tracing,
              vpc: Boolean(vpc),
            }),
          ),
        ),
    });
    const registryAccess = new aws.eks.AccessEntry(
      'RegistryAccess',
      {
        clusterName: config.cluster.name,
        principalArn: registryRole.arn,
        kubernetesGroups: [FUNCTION_GROUPS.registry],
        type: 'STANDARD',
      },
      clusterOptions,
    );
    const refresh = makeFunction(
      'RegistryRefresh',
      'registryRefresh',
      registryRole,
      {
        ...baseEnvironment,
        [FUNCTION_ENV.ecrKeysSecret]: ecrKeysSecretArn,
        [FUNCTION_ENV.registry]: JSON.stringify(registry),
      },
      [registryRolePolicy],
    );
    schedule(
      'RegistryRefresh',
      config.ecr.schedule,
      refresh,
      "Refreshes the pull secret for Collate's registry",
    );
    // Like the chart's post-install/upgrade hook: a fresh pull secret after every deploy. A failed refresh
    // fails the deploy, so a broken key is seen at once rather than as ImagePullBackOff hours later.
    new aws.lambda.Invocation(
      'RegistryRefreshAfterDeploy',
      {
        functionName: refresh.name,
        input: JSON.stringify({ source: 'deploy' }),
        triggers: { deployedAt: new Date().toISOString() },
      },
      { dependsOn: [registryAccess, ...rbac] },
    );
  }

  const observability = createObservability({
    name: `${$app.name}-${$app.stage}`,
    stage: $app.stage,
    agentId: config.agentId,
    region: region.region,
    functions: registryEnabled ? names : withoutRegistry(names),
    tables: { connections: connectionsTable.name, state: stateTable.name },
    alarmEmails: config.alarms.emails,
    registryEnabled,
  });

  return {
    websocketUrl: api.url,
    managementEndpoint: api.managementEndpoint,
    agentId: toRunnerSettings(config).agentId,
    dashboardUrl: observability.dashboardUrl,
  };
}

function withoutRegistry(names: Record<FunctionKey, string>): Partial<Record<FunctionKey, string>> {
  const { registryRefresh: _registryRefresh, ...bridgeNames } = names;
  return bridgeNames;
}

/** An SST secret copied into Secrets Manager (the functions read it at run time), or a given ARN. */
function storedSecret(id: string, location: SecretLocation, description: string): $util.Output<string> {
  if ('secretArn' in location && location.secretArn) return $util.output(location.secretArn);
  const value = new sst.Secret((location as { sstSecret: string }).sstSecret);
  const secret = new aws.secretsmanager.Secret(`${id}Secret`, {
    // Outside secretsManager.prefix on purpose: the ingestion pods' role must never reach the runner's own secrets.
    namePrefix: `${$app.name}/${$app.stage}/${id}-`,
    description,
  });
  new aws.secretsmanager.SecretVersion(`${id}SecretVersion`, {
    secretId: secret.id,
    secretString: value.value,
  });
  return secret.arn;
}

function schedule(id: string, expression: string, target: sst.aws.Function, description: string): void {
  const rule = new aws.cloudwatch.EventRule(`${id}Schedule`, { scheduleExpression: expression, description });
  new aws.cloudwatch.EventTarget(`${id}Target`, { rule: rule.name, arn: target.arn });
  new aws.lambda.Permission(`${id}Permission`, {
    action: 'lambda:InvokeFunction',
    function: target.name,
    principal: 'events.amazonaws.com',
    sourceArn: rule.arn,
  });
}

function ingestionPodsRole(
  config: StageConfig,
  account: $util.Output<AccountContext>,
  cluster: $util.Output<aws.eks.GetClusterResult>,
  clusterRegion: $util.Output<string>,
): aws.iam.Role {
  const pods = config.ingestionPods;
  const trust =
    pods.identity === 'irsa'
      ? $util.all([account, cluster.identities]).apply(([context, identities]) =>
          JSON.stringify(
            irsaTrustPolicy({
              account: context,
              oidcIssuer: identities[0]?.oidcs[0]?.issuer ?? '',
              namespace: config.namespaces.ingestion,
              serviceAccount: pods.serviceAccount.name,
            }),
          ),
        )
      : account.apply((context) =>
          JSON.stringify(
            podIdentityTrustPolicy({
              account: context,
              clusterName: config.cluster.name,
              namespace: config.namespaces.ingestion,
              serviceAccount: pods.serviceAccount.name,
            }),
          ),
        );
  const role = new aws.iam.Role('IngestionPodsRole', {
    description: 'Ingestion pods of the hybrid runner: read secrets under the runner prefix',
    assumeRolePolicy: trust,
  });
  if (config.secretsManager.provider === 'managed-aws') {
    new aws.iam.RolePolicy('IngestionPodsPolicy', {
      role: role.name,
      policy: $util
        .all([account, clusterRegion])
        .apply(([context, clusterRegionName]) =>
          JSON.stringify(
            ingestionPodsPolicy(
              secretPrefixArn(
                context,
                config.secretsManager.prefix,
                config.secretsManager.region ?? clusterRegionName,
              ),
            ),
          ),
        ),
    });
  }
  return role;
}

function applyRbac(
  object: RbacObject,
  provider: kubernetes.Provider,
  dependsOn: $util.Resource[],
): $util.Resource {
  const id = `${object.kind}-${object.metadata.namespace ?? 'cluster'}-${object.metadata.name}`;
  const options = { provider, dependsOn };
  switch (object.kind) {
    case 'Role':
      return new kubernetes.rbac.v1.Role(
        id,
        { metadata: object.metadata, rules: object.rules ?? [] },
        options,
      );
    case 'ClusterRole':
      return new kubernetes.rbac.v1.ClusterRole(
        id,
        { metadata: object.metadata, rules: object.rules ?? [] },
        options,
      );
    case 'RoleBinding':
      return new kubernetes.rbac.v1.RoleBinding(
        id,
        { metadata: object.metadata, roleRef: object.roleRef!, subjects: object.subjects ?? [] },
        options,
      );
    case 'ClusterRoleBinding':
      return new kubernetes.rbac.v1.ClusterRoleBinding(
        id,
        { metadata: object.metadata, roleRef: object.roleRef!, subjects: object.subjects ?? [] },
        options,
      );
  }
}

/** Argo Workflows 3.7 from its official chart, with the published chart's choices under the user's values. */
export function argoValues(config: StageConfig): Record<string, unknown> {
  return deepMerge(
    {
      fullnameOverride: 'argo-workflows',
      crds: { install: true },
      controller: { serviceAccount: { create: true, name: 'argo-workflows-controller-sa' } },
      server: {
        serviceAccount: { create: true, name: 'argo-workflows-server-sa' },
        extraArgs: ['--auth-mode=client'],
      },
    },
    config.argo.values,
  );
}

function installArgo(config: StageConfig, provider: kubernetes.Provider): void {
  const namespace = config.argo.createNamespace
    ? new kubernetes.core.v1.Namespace(
        'ArgoNamespace',
        { metadata: { name: config.namespaces.argo } },
        { provider, retainOnDelete: true },
      )
    : undefined;
  new kubernetes.helm.v3.Release(
    'ArgoWorkflows',
    {
      name: 'argo-workflows',
      chart: 'argo-workflows',
      version: config.argo.chartVersion,
      repositoryOpts: { repo: ARGO_HELM_REPOSITORY },
      namespace: config.namespaces.argo,
      values: argoValues(config),
    },
    { provider, ...(namespace ? { dependsOn: [namespace] } : {}) },
  );
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kubeconfig for the deployer (sst deploy): the AWS CLI mints the token with the deployer's credentials. */
export function deployerKubeconfig(
  endpoint: string,
  caData: string,
  clusterName: string,
  region: string,
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: endpoint, 'certificate-authority-data': caData } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: 'sst-deployer' } }],
    'current-context': clusterName,
    users: [
      {
        name: 'sst-deployer',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: ['eks', 'get-token', '--cluster-name', clusterName, '--region', region, '--output', 'json'],
          },
        },
      },
    ],
  });
}
