// doctor's placement checks against a hand-written cluster view (a stand-in holding Kubernetes objects as the
// API returns them); the NodePool is the very manifest the stack applies (stacks/ingestion-node-pool.ts).
import { describe, expect, it } from 'vitest';
import { parseStageConfig, toRunnerSettings } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';
import { INGESTION_TAINT } from '@hybrid-runner/core';
import type { KubeObject, ResourceType } from '@hybrid-runner/core';
import {
  argoPlacementCheck,
  ingestionSchedulingCheck,
  type PlacementClusterView,
} from '../../../../packages/cli/src/commands/doctor-placement.ts';
import { ingestionNodePool } from '../../../../stacks/ingestion-node-pool.ts';

const base: StageConfigInput = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } };
const fargate: StageConfigInput = {
  ...base,
  argo: { placement: 'fargate', fargate: { subnetIds: ['subnet-0a'] } },
};
const karpenter: StageConfigInput = { ...base, ingestion: { nodes: { karpenter: { enabled: true } } } };

/** Objects by plural; NodePools are served only when `servesNodePools`. */
function clusterView(objects: Record<string, KubeObject[]>, servesNodePools = false): PlacementClusterView {
  return {
    async list<T extends KubeObject>(type: ResourceType) {
      return { items: (objects[type.plural] ?? []) as T[] };
    },
    async get<T extends KubeObject>(type: ResourceType, _namespace: string | undefined, name: string) {
      return (objects[type.plural] ?? []).find((object) => object.metadata.name === name) as T | undefined;
    },
    async hasResource(group: string, _version: string, plural: string) {
      return group === 'karpenter.sh' && plural === 'nodepools' ? servesNodePools : true;
    },
  };
}

const controllerPod = (labels: Record<string, string>, nodeName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'argo-workflows-workflow-controller-7d9f', labels },
  spec: { nodeName },
});

function podPlacement(input: StageConfigInput) {
  const settings = toRunnerSettings(parseStageConfig(input));
  return { nodeSelector: settings.nodeSelector, tolerations: settings.tolerations };
}

describe('doctor: argo placement', () => {
  it('is ok when argo.placement is fargate and the controller runs on Fargate', async () => {
    const pod = controllerPod(
      { 'eks.amazonaws.com/fargate-profile': 'hybrid-runner-prod-argo' },
      'fargate-ip-10-0-1-5',
    );
    const result = await argoPlacementCheck(clusterView({ pods: [pod] }), parseStageConfig(fargate));
    expect(result).toEqual({
      check: 'argo placement',
      status: 'ok',
      detail:
        'the Argo controller runs on Fargate (profile hybrid-runner-prod-argo) (argo.placement: fargate)',
    });
  });

  it('fails, naming the profile and the restart, when the controller is still on a node', async () => {
    const pod = controllerPod({}, 'ip-10-0-1-7.eu-west-1.compute.internal');
    const result = await argoPlacementCheck(clusterView({ pods: [pod] }), parseStageConfig(fargate), {
      app: 'hybrid-runner',
      stage: 'prod',
    });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('runs on node ip-10-0-1-7');
    expect(result.fix).toContain('--fargate-profile-name hybrid-runner-prod-argo');
    expect(result.fix).toContain('kubectl -n argo-workflows rollout restart deployment');
  });

  it('warns when no controller pod is found', async () => {
    const result = await argoPlacementCheck(clusterView({ pods: [] }), parseStageConfig(base));
    expect(result).toMatchObject({ status: 'warn', fix: expect.stringContaining('argo.install: true') });
  });
});

describe('doctor: ingestion scheduling', () => {
  it('with Karpenter, is ok when the stack’s NodePool exists: its nodes take the pods', async () => {
    const config = parseStageConfig(karpenter);
    const pool = ingestionNodePool(config) as unknown as KubeObject;
    const result = await ingestionSchedulingCheck(
      clusterView({ nodepools: [pool] }, true),
      config,
      podPlacement(karpenter),
    );
    expect(result).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('NodePool collate-ingestion'),
    });
  });

  it('with Karpenter, fails when the pool’s taint is not the one the pods tolerate', async () => {
    const config = parseStageConfig(karpenter);
    const pool = structuredClone(ingestionNodePool(config)) as unknown as {
      spec: { template: { spec: { taints: unknown[] } } };
    };
    pool.spec.template.spec.taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }];
    const result = await ingestionSchedulingCheck(
      clusterView({ nodepools: [pool as unknown as KubeObject] }, true),
      config,
      podPlacement(karpenter),
    );
    expect(result).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('taint dedicated=gpu:NoSchedule'),
    });
  });

  it('with Karpenter, fails with the fix when Karpenter is missing or the pool is', async () => {
    const config = parseStageConfig(karpenter);
    expect(
      await ingestionSchedulingCheck(clusterView({}, false), config, podPlacement(karpenter)),
    ).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('install Karpenter 1.x'),
    });
    expect(
      await ingestionSchedulingCheck(clusterView({}, true), config, podPlacement(karpenter)),
    ).toMatchObject({
      status: 'fail',
      fix: 'run npx sst deploy (the stack creates it)',
    });
  });

  it('without Karpenter, warns when every node refuses the pods, and says why', async () => {
    const nodes: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'system-1' },
        spec: { taints: [{ key: 'CriticalAddonsOnly', effect: 'NoSchedule' }] },
      },
    ];
    const result = await ingestionSchedulingCheck(
      clusterView({ nodes }),
      parseStageConfig(base),
      podPlacement(base),
    );
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('system-1: taint CriticalAddonsOnly:NoSchedule');
    expect(result.fix).toContain('cluster-autoscaler node-template tags');
    expect(
      (await ingestionSchedulingCheck(clusterView({ nodes: [] }), parseStageConfig(base), podPlacement(base)))
        .detail,
    ).toContain('the cluster has no node');
  });

  it('without Karpenter, is ok when a node matches the pods’ tolerations and node selector', async () => {
    const input: StageConfigInput = {
      ...base,
      ingestionPods: {
        nodeSelector: { pool: 'etl' },
        tolerations: [{ key: INGESTION_TAINT.key, operator: 'Exists' }],
      },
    };
    const nodes: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'general-1' }, spec: {} },
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'etl-1', labels: { pool: 'etl' } },
        spec: { taints: [INGESTION_TAINT] },
      },
    ];
    const result = await ingestionSchedulingCheck(
      clusterView({ nodes }),
      parseStageConfig(input),
      podPlacement(input),
    );
    expect(result).toEqual({
      check: 'ingestion scheduling',
      status: 'ok',
      detail: '1 of 2 nodes can take ingestion pods (etl-1)',
    });
  });
});
