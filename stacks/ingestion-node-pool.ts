// Ingestion nodes from zero: a Karpenter NodePool (karpenter.sh/v1) whose nodes carry the ingestion taint, so
// only ingestion pods (which tolerate it and select the pool) land there, and which Karpenter removes once
// empty. The EC2NodeClass is the cluster's own (it holds the node role, subnets and AMI choice): we name it.
// Plain data, so tests and doctor's tests read the very manifest the stack applies (placement-resources.ts).
import { INGESTION_TAINT, KARPENTER_NODEPOOL_LABEL } from '@hybrid-runner/core';
import type { StageConfig } from '@hybrid-runner/config';
import { STACK_LABELS } from './cluster-access.ts';

export const KARPENTER_API_VERSION = 'karpenter.sh/v1';
export const EC2_NODE_CLASS_REF = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass' } as const;
/** Nodes are replaced after this long (Karpenter's default), but never under a running pod (do-not-disrupt). */
const NODE_EXPIRY = '720h';

export interface NodePoolManifest {
  apiVersion: typeof KARPENTER_API_VERSION;
  kind: 'NodePool';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    template: {
      spec: {
        nodeClassRef: { group: string; kind: string; name: string };
        requirements: Array<{ key: string; operator: 'In'; values: string[] }>;
        taints: Array<{ key: string; value: string; effect: string }>;
        expireAfter: string;
      };
    };
    disruption: { consolidationPolicy: 'WhenEmpty'; consolidateAfter: string };
    limits: { cpu: string };
  };
}

/** The pool for ingestion pods, or undefined when Karpenter is not enabled. */
export function ingestionNodePool(config: StageConfig): NodePoolManifest | undefined {
  const pool = config.ingestion.nodes.karpenter;
  if (!pool.enabled) return undefined;
  return {
    apiVersion: KARPENTER_API_VERSION,
    kind: 'NodePool',
    metadata: { name: pool.nodePoolName, labels: { ...STACK_LABELS } },
    spec: {
      template: {
        spec: {
          nodeClassRef: { ...EC2_NODE_CLASS_REF, name: pool.nodeClassName },
          requirements: [
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: [...pool.capacityTypes] },
            { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...pool.instanceTypes] },
          ],
          taints: [{ ...INGESTION_TAINT }],
          expireAfter: NODE_EXPIRY,
        },
      },
      // WhenEmpty: a node goes only once its last ingestion pod has ended, never by moving a running one.
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: pool.consolidateAfter },
      limits: { cpu: pool.maxCpu },
    },
  };
}

/** The label value pods select (`karpenter.sh/nodepool`), for tests and doctor. */
export function nodePoolLabel(manifest: NodePoolManifest): Record<string, string> {
  return { [KARPENTER_NODEPOOL_LABEL]: manifest.metadata.name };
}
