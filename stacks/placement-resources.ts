// The stack resources of issue 13's placement: the Fargate profile that takes the Argo namespace (with its pod
// execution role) and the Karpenter NodePool for ingestion pods. Uses SST's globals; the data they are made of
// lives in argo-placement.ts, ingestion-node-pool.ts and iam-policies.ts.
import type { StageConfig } from '@hybrid-runner/config';
import { argoFargateProfileName, fargateSubnetIds } from '@hybrid-runner/config';
import type { AccountContext } from './iam-policies.ts';
import { fargatePodExecutionPolicyArn, fargatePodExecutionTrustPolicy } from './iam-policies.ts';
import { ingestionNodePool } from './ingestion-node-pool.ts';

export function createArgoFargateProfile(
  config: StageConfig,
  account: $util.Output<AccountContext>,
  clusterRegion: $util.Output<string>,
  clusterOptions: { provider?: aws.Provider },
): aws.eks.FargateProfile | undefined {
  if (config.argo.placement !== 'fargate') return undefined;
  const role = new aws.iam.Role('ArgoFargatePodRole', {
    description: 'Pod execution role of the Fargate profile that runs Argo Workflows',
    assumeRolePolicy: $util
      .all([account, clusterRegion])
      .apply(([context, region]) =>
        JSON.stringify(
          fargatePodExecutionTrustPolicy({ account: context, clusterName: config.cluster.name, region }),
        ),
      ),
  });
  const attachment = new aws.iam.RolePolicyAttachment('ArgoFargatePodRolePolicy', {
    role: role.name,
    policyArn: account.apply((context) => fargatePodExecutionPolicyArn(context.partition)),
  });
  return new aws.eks.FargateProfile(
    'ArgoFargateProfile',
    {
      clusterName: config.cluster.name,
      fargateProfileName: argoFargateProfileName($app.name, $app.stage),
      podExecutionRoleArn: role.arn,
      subnetIds: fargateSubnetIds(config),
      // The whole namespace: the chart's controller and (when enabled) server; nothing else lives there.
      selectors: [{ namespace: config.namespaces.argo }],
    },
    { ...clusterOptions, dependsOn: [attachment] },
  );
}

export function createIngestionNodePool(
  config: StageConfig,
  provider: kubernetes.Provider,
): kubernetes.apiextensions.CustomResource | undefined {
  const manifest = ingestionNodePool(config);
  if (!manifest) return undefined;
  return new kubernetes.apiextensions.CustomResource(
    'IngestionNodePool',
    {
      apiVersion: manifest.apiVersion,
      kind: manifest.kind,
      metadata: manifest.metadata,
      spec: manifest.spec,
    },
    { provider },
  );
}
