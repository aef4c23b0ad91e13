// The registry refresh: its role and cluster access, the function on the ECR schedule (EventBridge
// Scheduler, with a flexible time window), and a refresh after every deploy.
import { FUNCTION_ENV } from '@hybrid-runner/config';
import { REGISTRY_REFRESH_DEFAULTS } from '@hybrid-runner/core';
import type { StageConfig, registryRefreshSettings } from '@hybrid-runner/config';
import { FUNCTION_GROUPS } from './cluster-access.ts';
import type { ClusterOptions } from './cluster.ts';
import type { FunctionKey, FunctionVpc, MakeFunction } from './functions.ts';
import { lambdaTrustPolicy, registryPolicy } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';
import { flexibleSchedule } from './schedules.ts';

export interface RegistryRefreshInput {
  config: StageConfig;
  account: $util.Output<AccountContext>;
  clusterRegion: $util.Output<string>;
  clusterOptions: ClusterOptions;
  names: Record<FunctionKey, string>;
  vpc: FunctionVpc;
  baseEnvironment: Record<string, $util.Input<string>>;
  makeFunction: MakeFunction;
  registry: ReturnType<typeof registryRefreshSettings>;
  ecrKeysSecretArn: $util.Output<string>;
  /** The RBAC the refresh needs: the after-deploy run waits for it. */
  rbac: $util.Resource[];
}

export function deployRegistryRefresh(input: RegistryRefreshInput): void {
  const { config, account, clusterRegion, clusterOptions, names, vpc, registry, ecrKeysSecretArn } = input;
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
  const refresh = input.makeFunction(
    'RegistryRefresh',
    'registryRefresh',
    registryRole,
    {
      ...input.baseEnvironment,
      [FUNCTION_ENV.ecrKeysSecret]: ecrKeysSecretArn,
      [FUNCTION_ENV.registry]: JSON.stringify(registry),
    },
    [registryRolePolicy],
  );
  // The window spreads many runners' logins (and ours after an outage) where the function used to sleep.
  flexibleSchedule('RegistryRefresh', {
    expression: config.ecr.schedule,
    target: refresh,
    description: "Refreshes the pull secret for Collate's registry",
    maximumWindowInMinutes: REGISTRY_REFRESH_DEFAULTS.maxJitterMinutes,
    input: { trigger: 'schedule' },
    account,
  });
  // Like the chart's post-install/upgrade hook: a fresh pull secret after every deploy. A failed refresh
  // fails the deploy, so a broken key is seen at once rather than as ImagePullBackOff hours later.
  new aws.lambda.Invocation(
    'RegistryRefreshAfterDeploy',
    {
      functionName: refresh.name,
      input: JSON.stringify({ source: 'deploy' }),
      triggers: { deployedAt: new Date().toISOString() },
    },
    { dependsOn: [registryAccess, ...input.rbac] },
  );
}
