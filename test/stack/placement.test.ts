// Issue 13's placement, offline (Pulumi mocks; see harness.ts): the Fargate profile that takes the Argo
// namespace, the Argo chart values that follow, and the Karpenter pool the ingestion pods (and only they) use.
import { describe, expect, it } from 'vitest';
import { parseStageConfig, toRunnerSettings } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';
import { INGESTION_TAINT, buildRunWorkflow, nodeRefusal } from '@hybrid-runner/core';
import type { TrustDocument } from '../../stacks/iam-policies.ts';
import { ACCOUNT_ID, REGION, runStack } from './harness.ts';

interface ChartValues {
  server: { enabled?: boolean; extraArgs?: string[] };
  controller: { resources?: unknown };
}

const base: StageConfigInput = {
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'prod-eks', region: REGION },
};
const atRestFree: StageConfigInput = {
  ...base,
  argo: { install: true, placement: 'fargate', fargate: { subnetIds: ['subnet-0a1', 'subnet-0b2'] } },
  ingestion: { nodes: { karpenter: { enabled: true, capacityTypes: ['spot', 'on-demand'] } } },
};

describe('stack with Argo on Fargate and a Karpenter pool for ingestion', async () => {
  const config = parseStageConfig(atRestFree);
  const run = await runStack(config);
  const profile = run.one('aws:eks/fargateProfile:FargateProfile', 'ArgoFargateProfile').inputs;
  const pool = run.one('kubernetes:karpenter.sh/v1:NodePool', 'IngestionNodePool').inputs as {
    metadata: { name: string };
    spec: { template: { spec: { taints: Array<{ key: string; value: string; effect: string }> } } };
  };

  it('makes a Fargate profile for the Argo namespace in the private subnets, with its own pod role', () => {
    expect(profile).toEqual({
      clusterName: 'prod-eks',
      fargateProfileName: 'hybrid-runner-test-argo',
      podExecutionRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/ArgoFargatePodRole-role`,
      subnetIds: ['subnet-0a1', 'subnet-0b2'],
      selectors: [{ namespace: 'argo-workflows' }],
    });
    const trust = JSON.parse(
      run.one('aws:iam/role:Role', 'ArgoFargatePodRole').inputs.assumeRolePolicy as string,
    ) as TrustDocument;
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'eks-fargate-pods.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: {
          ArnLike: { 'aws:SourceArn': `arn:aws:eks:${REGION}:${ACCOUNT_ID}:fargateprofile/prod-eks/*` },
        },
      },
    ]);
    expect(
      run.one('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'ArgoFargatePodRolePolicy').inputs,
    ).toEqual({
      role: 'ArgoFargatePodRole-role',
      policyArn: 'arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy',
    });
    // The pod role gets nothing but AWS's managed policy: no inline policy of ours.
    expect(run.ofType('aws:iam/rolePolicy:RolePolicy').map((p) => p.inputs.role)).not.toContain(
      'ArgoFargatePodRole-role',
    );
  });

  it('installs Argo into that namespace, the controller sized for Fargate and no Argo server', () => {
    const release = run.one('kubernetes:helm.sh/v3:Release', 'ArgoWorkflows').inputs as {
      namespace: string;
      values: { controller: { resources: unknown }; server: { enabled: boolean } };
    };
    expect(profile.selectors).toContainEqual({ namespace: release.namespace });
    expect(release.values.controller.resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '250m', memory: '512Mi' },
    });
    expect(release.values.server.enabled).toBe(false);
  });

  it('needs no worker node for anything of ours or of Argo: no workload besides the Argo chart on Fargate', () => {
    const workloads = run.resources.filter((resource) =>
      /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:(Job|CronJob)|core\/v1:Pod)$/.test(
        resource.type,
      ),
    );
    expect(workloads).toEqual([]);
    const charts = run.resources.filter((resource) => resource.type.startsWith('kubernetes:helm'));
    expect(charts.map((chart) => chart.inputs.namespace)).toEqual(['argo-workflows']);
  });

  it('creates a NodePool whose nodes carry the ingestion taint, on Spot and on demand, emptied after consolidateAfter', () => {
    expect(pool).toEqual({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: {
        name: 'collate-ingestion',
        labels: { 'app.kubernetes.io/managed-by': 'hybrid-runner-stack' },
      },
      spec: {
        template: {
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
            requirements: [
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
              {
                key: 'node.kubernetes.io/instance-type',
                operator: 'In',
                values: ['m6a.large', 'm5a.large', 'm6i.large', 'm5.large'],
              },
            ],
            taints: [INGESTION_TAINT],
            expireAfter: '720h',
          },
        },
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1m' },
        limits: { cpu: '16' },
      },
    });
  });

  it('sends ingestion pods to that pool only: they tolerate its taint and nothing else, and select it', () => {
    const workflow = buildRunWorkflow({
      pipeline: { name: 'metadata', fullyQualifiedName: 'mysql_prod.metadata', pipelineType: 'metadata' },
      settings: toRunnerSettings(config),
      runId: '7d444840-9dc0-41d3-9a0c-0305e82c3301',
    });
    const spec = workflow.spec as { nodeSelector?: Record<string, string>; tolerations?: unknown[] };
    expect(spec.nodeSelector).toEqual({ 'karpenter.sh/nodepool': pool.metadata.name });
    expect(spec.tolerations).toEqual([{ ...INGESTION_TAINT, operator: 'Equal' }]);
    const placement = { nodeSelector: spec.nodeSelector ?? {}, tolerations: spec.tolerations as never[] };
    const poolNode = {
      name: 'pool node',
      labels: { 'karpenter.sh/nodepool': pool.metadata.name },
      taints: pool.spec.template.spec.taints,
      unschedulable: false,
    };
    expect(nodeRefusal(poolNode, placement)).toBeUndefined();
    // Any other node (a system node group, a node of another pool) refuses them.
    expect(
      nodeRefusal({ name: 'system', labels: {}, taints: [], unschedulable: false }, placement),
    ).toContain('lacks label karpenter.sh/nodepool');
  });
});

describe('stack placement defaults', () => {
  it('keeps Argo on the nodes with no Fargate profile, no NodePool, and the Argo server off', async () => {
    const run = await runStack(parseStageConfig({ ...base, argo: { install: true } }));
    expect(run.ofType('aws:eks/fargateProfile:FargateProfile')).toEqual([]);
    expect(run.resources.filter((resource) => resource.type.includes('karpenter'))).toEqual([]);
    const values = run.one('kubernetes:helm.sh/v3:Release', 'ArgoWorkflows').inputs.values as ChartValues;
    expect(values.server.enabled).toBe(false);
    expect(values.controller.resources).toBeUndefined();
  });

  it('runs the Argo server when asked, on Fargate too', async () => {
    const run = await runStack(
      parseStageConfig({
        ...atRestFree,
        argo: { ...(atRestFree.argo as object), server: { enabled: true } },
      }),
    );
    const values = run.one('kubernetes:helm.sh/v3:Release', 'ArgoWorkflows').inputs.values as ChartValues;
    expect(values.server).toMatchObject({ enabled: true, extraArgs: ['--auth-mode=client'] });
  });
});
