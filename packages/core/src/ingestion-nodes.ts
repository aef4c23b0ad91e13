// Where ingestion pods run: the taint that keeps every other pod off the ingestion nodes, the selector that
// sends ingestion pods to the Karpenter pool, and the scheduler's taint/selector rules that `doctor` uses to
// tell whether any node (or pool) can take an ingestion pod. The stack, the settings and doctor read these
// from here, so the taint the NodePool puts on its nodes is the one the pods tolerate.
import { METADATA_KEY_PREFIX } from './names.ts';

/** The taint on ingestion nodes; only ingestion pods tolerate it. */
export const INGESTION_TAINT = {
  key: `${METADATA_KEY_PREFIX}/ingestion`,
  value: 'true',
  effect: 'NoSchedule',
} as const;

/** The label Karpenter puts on every node it starts, naming its NodePool. */
export const KARPENTER_NODEPOOL_LABEL = 'karpenter.sh/nodepool';

/** Pod annotation that keeps Karpenter from consolidating or expiring a node while the pod runs. */
export const KARPENTER_DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';

export const DEFAULT_NODE_POOL_NAME = 'collate-ingestion';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The toleration of ingestion pods for INGESTION_TAINT (exactly that key, value and effect). */
export function ingestionToleration(): Required<Toleration> {
  return {
    key: INGESTION_TAINT.key,
    operator: 'Equal',
    value: INGESTION_TAINT.value,
    effect: INGESTION_TAINT.effect,
  };
}

/** The node selector that sends a pod to one Karpenter NodePool. */
export function nodePoolSelector(nodePool: string): Record<string, string> {
  return { [KARPENTER_NODEPOOL_LABEL]: nodePool };
}

/** Kubernetes' rule, as k8s.io/api core/v1 Toleration.ToleratesTaint: effect, key, then the operator. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Only NoSchedule and NoExecute taints keep a new pod off a node (PreferNoSchedule is a preference). */
export function untoleratedTaints(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint[] {
  return taints.filter(
    (taint) =>
      taint.effect !== 'PreferNoSchedule' &&
      !tolerations.some((toleration) => toleratesTaint(toleration, taint)),
  );
}

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** spec.unschedulable (cordoned). */
  unschedulable: boolean;
}

export interface PodPlacement {
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
}

/** Why a node cannot take the pod, or undefined when it can (selector and taints only; not capacity). */
export function nodeRefusal(node: NodeView, pod: PodPlacement): string | undefined {
  if (node.unschedulable) return 'cordoned';
  const mismatched = Object.entries(pod.nodeSelector)
    .filter(([key, value]) => node.labels[key] !== value)
    .map(([key, value]) => `${key}=${value}`);
  if (mismatched.length > 0) return `lacks label ${mismatched.join(', ')}`;
  const taints = untoleratedTaints(node.taints, pod.tolerations);
  if (taints.length > 0)
    return `taint ${taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')}`;
  return undefined;
}

/** Reads a Kubernetes Node object into a NodeView. */
export function nodeView(node: {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: unknown;
}): NodeView {
  const spec = (node.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean };
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    taints: Array.isArray(spec.taints) ? spec.taints : [],
    unschedulable: spec.unschedulable === true,
  };
}
