// Stage configuration for where things run (issue 13): Argo's controller on the nodes or on EKS Fargate, the
// Argo server (UI) on or off, and ingestion nodes started from zero by Karpenter. Kept apart from schema.ts so
// the placement rules live in one place; schema.ts spreads these fields into its `argo` block and adds
// `ingestion`, and calls placementIssues from its cross-field checks.
import { z } from 'zod';
import {
  DEFAULT_NODE_POOL_NAME,
  KARPENTER_DO_NOT_DISRUPT,
  ingestionToleration,
  nodePoolSelector,
} from '@hybrid-runner/core';

export const ARGO_PLACEMENTS = ['nodes', 'fargate'] as const;
export const CAPACITY_TYPES = ['spot', 'on-demand'] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An EC2 instance type such as m6a.large (family, optional generation/attributes, size). */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** Karpenter's consolidateAfter: a Go duration of s/m/h units, or Never. */
const KARPENTER_DURATION = /^(Never|(\d+(s|m|h))+)$/;
const CPU_QUANTITY = /^\d+(\.\d+)?m?$/;

/** Spread into the `argo` block of the stage schema. */
export const argoPlacementFields = {
  /**
   * `nodes` (default): the chart's pods run on the worker nodes as before. `fargate`: an EKS Fargate profile
   * takes every pod of the Argo namespace, so no worker node needs to exist while nothing runs.
   */
  placement: z.enum(ARGO_PLACEMENTS).default('nodes'),
  fargate: z
    .strictObject({
      /** Private subnets for the Fargate pods; default `vpc.subnetIds`. Fargate refuses public subnets. */
      subnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet id such as "subnet-0abc1234"'))
        .min(1, 'needs at least one private subnet id')
        .optional(),
    })
    .prefault({}),
  server: z
    .strictObject({
      /** The Argo server (UI): one more pod that Collate does not need, so off unless asked for. */
      enabled: z.boolean().default(false),
    })
    .prefault({}),
};

const karpenter = z
  .strictObject({
    enabled: z.boolean().default(false),
    nodePoolName: z
      .string()
      .max(63)
      .regex(DNS_LABEL, 'must be a lowercase DNS label such as "collate-ingestion"')
      .default(DEFAULT_NODE_POOL_NAME),
    /** An EC2NodeClass (karpenter.k8s.aws/v1) that exists in the cluster: it holds the node role, subnets, AMI. */
    nodeClassName: z
      .string()
      .max(63)
      .regex(DNS_LABEL, 'must name an existing EC2NodeClass, such as "default"')
      .default('default'),
    // Several types of one size: Spot then has several capacity pools to choose from.
    instanceTypes: z
      .array(z.string().regex(INSTANCE_TYPE, 'must be an EC2 instance type such as "m6a.large"'))
      .min(1, 'needs at least one instance type, e.g. ["m6a.large"]')
      .default(['m6a.large', 'm5a.large', 'm6i.large', 'm5.large']),
    capacityTypes: z
      .array(z.enum(CAPACITY_TYPES))
      .min(1, 'needs at least one of "spot", "on-demand"')
      .refine((types) => new Set(types).size === types.length, { message: 'lists a capacity type twice' })
      .default(['spot', 'on-demand']),
    consolidateAfter: z
      .string()
      .regex(KARPENTER_DURATION, 'must be a duration such as "30s", "5m" or "1h", or "Never"')
      .default('1m'),
    /** Upper bound on the vCPUs of all nodes of the pool together (spec.limits.cpu), so a burst has a cost ceiling. */
    maxCpu: z
      .union([z.string(), z.number()])
      .transform(String)
      .pipe(z.string().regex(CPU_QUANTITY, 'must be a CPU quantity such as "16" or "8000m"'))
      .default('16'),
  })
  .prefault({});

/** The top-level `ingestion` block. */
export const ingestionNodesSchema = z
  .strictObject({ nodes: z.strictObject({ karpenter }).prefault({}) })
  .prefault({});

interface PlacementView {
  namespaces: { ingestion: string; argo: string };
  argo: {
    placement: (typeof ARGO_PLACEMENTS)[number];
    fargate: { subnetIds?: string[] | undefined };
    server: { enabled: boolean };
    values: Record<string, unknown>;
  };
  vpc?: { subnetIds: string[] } | undefined;
  ingestion: { nodes: { karpenter: { enabled: boolean } } };
  ingestionPods: { tolerations: unknown[]; nodeSelector: Record<string, string> };
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void;
}

/** The Fargate profile's name: one per stage, so two stages can share a cluster (EKS allows 100 characters). */
export function argoFargateProfileName(app: string, stage: string): string {
  return `${app}-${stage}-argo`.slice(0, 100);
}

/** The subnets the Fargate profile uses: argo.fargate.subnetIds, else vpc.subnetIds. */
export function fargateSubnetIds(config: Pick<PlacementView, 'argo' | 'vpc'>): string[] {
  return config.argo.fargate.subnetIds ?? config.vpc?.subnetIds ?? [];
}

/** Cross-field rules of the placement settings. */
export function placementIssues(config: PlacementView, context: IssueSink): void {
  if (config.argo.placement === 'fargate') {
    if (fargateSubnetIds(config).length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['argo', 'fargate', 'subnetIds'],
        message:
          'is needed with argo.placement "fargate": Fargate runs pods only in private subnets; list them here (or in vpc.subnetIds)',
      });
    }
    if (config.namespaces.argo === config.namespaces.ingestion) {
      context.addIssue({
        code: 'custom',
        path: ['namespaces', 'argo'],
        message:
          'must differ from namespaces.ingestion with argo.placement "fargate": the Fargate profile takes every pod of the Argo namespace, and ingestion pods must not run on Fargate',
      });
    }
  }
  const serverValues = config.argo.values['server'];
  if (
    serverValues &&
    typeof serverValues === 'object' &&
    'enabled' in serverValues &&
    (serverValues as { enabled?: unknown }).enabled !== config.argo.server.enabled
  ) {
    context.addIssue({
      code: 'custom',
      path: ['argo', 'values', 'server', 'enabled'],
      message: 'contradicts argo.server.enabled: set argo.server.enabled only',
    });
  }
  if (config.ingestion.nodes.karpenter.enabled) {
    const pods = config.ingestionPods;
    if (pods.tolerations.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['ingestionPods', 'tolerations'],
        message:
          'must be empty with ingestion.nodes.karpenter.enabled: the pods then tolerate only the pool’s ingestion taint; remove these',
      });
    }
    if (Object.keys(pods.nodeSelector).length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['ingestionPods', 'nodeSelector'],
        message:
          'must be empty with ingestion.nodes.karpenter.enabled: the pods then select the Karpenter pool; remove these',
      });
    }
  }
}

/**
 * Where the ingestion pods go: with Karpenter, the pool's selector, a toleration of its taint only, and the
 * annotation that stops Karpenter from consolidating a node under a running pod; else the pods' own settings.
 */
export function ingestionPodPlacement(config: {
  ingestion: { nodes: { karpenter: { enabled: boolean; nodePoolName: string } } };
  ingestionPods: { tolerations: Array<Record<string, unknown>>; nodeSelector: Record<string, string> };
}): {
  tolerations: Array<Record<string, unknown>>;
  nodeSelector: Record<string, string>;
  podAnnotations: Record<string, string>;
} {
  const pool = config.ingestion.nodes.karpenter;
  if (!pool.enabled) {
    return {
      tolerations: structuredClone(config.ingestionPods.tolerations),
      nodeSelector: { ...config.ingestionPods.nodeSelector },
      podAnnotations: {},
    };
  }
  return {
    tolerations: [{ ...ingestionToleration() }],
    nodeSelector: nodePoolSelector(pool.nodePoolName),
    podAnnotations: { [KARPENTER_DO_NOT_DISRUPT]: 'true' },
  };
}
