// doctor's placement checks (issue 13): where Argo's controller runs (on Fargate when argo.placement says so),
// and whether an ingestion pod can be scheduled at all (a Karpenter pool that can start a node for it, or a
// node that takes it). Only the Kubernetes API is read, with the operator's kubeconfig: a Fargate pod carries
// its profile's name as a label, so the operator needs no AWS permission (eks:DescribeFargateProfile) here.
import { argoFargateProfileName } from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import { RESOURCES, nodeRefusal, nodeView } from '@hybrid-runner/core';
import type {
  KubeObject,
  ListOptions,
  ListPage,
  NodeView,
  PodPlacement,
  ResourceType,
} from '@hybrid-runner/core';
import type { CheckResult } from './doctor.ts';

/** The label EKS puts on every pod it runs on Fargate, naming the profile that selected it. */
export const FARGATE_PROFILE_LABEL = 'eks.amazonaws.com/fargate-profile';
/** The argo-workflows chart's label of the workflow controller's pods. */
export const ARGO_CONTROLLER_SELECTOR = 'app.kubernetes.io/component=workflow-controller';

export const NODE_RESOURCE: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
};
export const NODE_POOL_RESOURCE: ResourceType = {
  group: 'karpenter.sh',
  version: 'v1',
  kind: 'NodePool',
  plural: 'nodepools',
  namespaced: false,
};

/** What the placement checks read; KubernetesCluster provides it. */
export interface PlacementClusterView {
  list<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    options?: ListOptions,
  ): Promise<ListPage<T>>;
  get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined>;
  hasResource(group: string, version: string, plural: string): Promise<boolean>;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface PodView extends KubeObject {
  spec?: { nodeName?: string };
}

/** Where the Argo controller runs, against argo.placement. */
export async function argoPlacementCheck(
  cluster: PlacementClusterView,
  config: StageConfig,
  /** The SST app and stage, when known, to name the Fargate profile in the fix. */
  deployment?: { app: string; stage: string },
): Promise<CheckResult> {
  const check = 'argo placement';
  const namespace = config.namespaces.argo;
  const wanted = config.argo.placement;
  let pods: PodView[];
  try {
    pods = (
      await cluster.list<PodView>(RESOURCES.pod, namespace, { labelSelector: ARGO_CONTROLLER_SELECTOR })
    ).items;
  } catch (error) {
    return {
      check,
      status: 'fail',
      detail: `cannot list pods in ${namespace}: ${describe(error)}`,
      fix: `allow your identity to list pods in ${namespace} (or run doctor as a cluster admin)`,
    };
  }
  if (pods.length === 0) {
    return {
      check,
      status: 'warn',
      detail: `no Argo workflow-controller pod in ${namespace} (label ${ARGO_CONTROLLER_SELECTOR})`,
      fix: 'install Argo Workflows (argo.install: true, then npx sst deploy), or set namespaces.argo to where it runs',
    };
  }
  const places = pods.map((pod) => {
    const profile = pod.metadata.labels?.[FARGATE_PROFILE_LABEL];
    return profile ? `Fargate (profile ${profile})` : `node ${pod.spec?.nodeName ?? '(not scheduled yet)'}`;
  });
  const onFargate = pods.filter((pod) => pod.metadata.labels?.[FARGATE_PROFILE_LABEL]).length;
  const where = [...new Set(places)].join(', ');
  if (wanted === 'fargate' && onFargate < pods.length) {
    const profile = deployment
      ? argoFargateProfileName(deployment.app, deployment.stage)
      : argoFargateProfileName('hybrid-runner', '<stage>');
    return {
      check,
      status: 'fail',
      detail: `argo.placement is fargate, but the controller runs on ${where}`,
      fix:
        `check that the Fargate profile exists and selects ${namespace} (aws eks describe-fargate-profile ` +
        `--cluster-name ${config.cluster.name} --fargate-profile-name ${profile}); Fargate places pods when they ` +
        `are created, so then: kubectl -n ${namespace} rollout restart deployment`,
    };
  }
  if (wanted === 'nodes' && onFargate > 0) {
    return {
      check,
      status: 'warn',
      detail: `argo.placement is nodes, but the controller runs on ${where}`,
      fix: 'set argo.placement: fargate to match, or remove the Fargate profile that selects the Argo namespace',
    };
  }
  return { check, status: 'ok', detail: `the Argo controller runs on ${where} (argo.placement: ${wanted})` };
}

interface NodePoolView extends KubeObject {
  spec?: {
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { taints?: Array<{ key: string; value?: string; effect: string }> };
    };
  };
}

/** Whether an ingestion pod (the given node selector and tolerations) can be scheduled somewhere. */
export async function ingestionSchedulingCheck(
  cluster: PlacementClusterView,
  config: StageConfig,
  pod: PodPlacement,
): Promise<CheckResult> {
  const check = 'ingestion scheduling';
  const pool = config.ingestion.nodes.karpenter;
  try {
    if (pool.enabled) {
      if (
        !(await cluster.hasResource(
          NODE_POOL_RESOURCE.group,
          NODE_POOL_RESOURCE.version,
          NODE_POOL_RESOURCE.plural,
        ))
      ) {
        return {
          check,
          status: 'fail',
          detail:
            'ingestion.nodes.karpenter is enabled, but the cluster does not serve karpenter.sh/v1 NodePools',
          fix: 'install Karpenter 1.x in the cluster, or set ingestion.nodes.karpenter.enabled: false and give the pods a node group',
        };
      }
      const found = await cluster.get<NodePoolView>(NODE_POOL_RESOURCE, undefined, pool.nodePoolName);
      if (!found) {
        return {
          check,
          status: 'fail',
          detail: `the Karpenter NodePool ${pool.nodePoolName} does not exist`,
          fix: 'run npx sst deploy (the stack creates it)',
        };
      }
      // The nodes the pool would start: its template's labels and taints, plus the label Karpenter adds.
      const template = found.spec?.template;
      const poolNode: NodeView = {
        name: `a node of NodePool ${pool.nodePoolName}`,
        labels: { ...template?.metadata?.labels, 'karpenter.sh/nodepool': pool.nodePoolName },
        taints: template?.spec?.taints ?? [],
        unschedulable: false,
      };
      const refusal = nodeRefusal(poolNode, pod);
      return refusal
        ? {
            check,
            status: 'fail',
            detail: `NodePool ${pool.nodePoolName} cannot take ingestion pods: its nodes' ${refusal}`,
            fix: 'redeploy (npx sst deploy) so the pool and the pods agree again',
          }
        : {
            check,
            status: 'ok',
            detail: `NodePool ${pool.nodePoolName} starts nodes for ingestion pods (${pool.capacityTypes.join(', ')})`,
          };
    }
    const nodes = (await cluster.list(NODE_RESOURCE, undefined)).items.map(nodeView);
    const refusals = nodes.map((node) => ({ node, refusal: nodeRefusal(node, pod) }));
    const fitting = refusals.filter((entry) => !entry.refusal);
    if (fitting.length > 0) {
      return {
        check,
        status: 'ok',
        detail: `${fitting.length} of ${nodes.length} nodes can take ingestion pods (${fitting
          .slice(0, 3)
          .map((entry) => entry.node.name)
          .join(', ')}${fitting.length > 3 ? ', …' : ''})`,
      };
    }
    const why = refusals
      .slice(0, 3)
      .map((entry) => `${entry.node.name}: ${entry.refusal}`)
      .join('; ');
    return {
      check,
      status: 'warn',
      detail: `no node can take ingestion pods and no Karpenter pool is configured${why ? ` (${why})` : ' (the cluster has no node)'}`,
      fix:
        'ingestion pods stay Pending until a node group scales up: set ingestion.nodes.karpenter.enabled, or give a ' +
        'managed node group the pods’ labels and taints with the cluster-autoscaler node-template tags (docs/deploy.md)',
    };
  } catch (error) {
    return {
      check,
      status: 'fail',
      detail: `cannot read ${pool.enabled ? 'the NodePool' : 'the nodes'}: ${describe(error)}`,
      fix: `allow your identity to ${pool.enabled ? 'get nodepools.karpenter.sh' : 'list nodes'} (cluster admins may)`,
    };
  }
}
