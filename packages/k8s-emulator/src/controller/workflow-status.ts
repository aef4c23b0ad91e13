// The workflow's status as the simulated controller writes it: phase, labels, conditions and status.nodes.
import { argoNodeId } from '../argo-names.ts';
import type { KubeObject } from '../resources.ts';
import { LABEL_COMPLETED, LABEL_PHASE } from './argo-labels.ts';
import type { ControllerContext } from './context.ts';
import type { Execution, NodeStatus, Phase } from './execution.ts';
import type { Json } from './kube-json.ts';
import { metadataOf, timestamp } from './kube-json.ts';

/** Applies `change` and the execution's nodes and progress to the stored workflow. */
export function writeWorkflow(
  ctx: ControllerContext,
  execution: Execution,
  change: (workflow: KubeObject) => void,
): void {
  if (!ctx.workflows || execution.deleted) return;
  try {
    const updated = ctx.cluster.mutate(ctx.workflows, execution.namespace, execution.name, (workflow) => {
      change(workflow);
      workflow['status'] = {
        ...((workflow['status'] as Json | undefined) ?? {}),
        ...statusFields(execution, workflow),
      };
    });
    if (!updated) execution.deleted = true;
    else execution.workflow = updated;
  } catch (error) {
    ctx.report(error, `updating workflow ${execution.namespace}/${execution.name}`);
  }
}

export function statusFields(execution: Execution, workflow: KubeObject): Json {
  const nodes = Object.values(execution.nodes);
  const pods = nodes.filter((node) => node.type === 'Pod');
  const done = pods.filter((node) =>
    ['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'].includes(node.phase),
  ).length;
  const status = (workflow['status'] ?? {}) as Json;
  return {
    nodes: structuredClone(execution.nodes),
    progress: `${done}/${pods.length}`,
    ...(status['phase'] === undefined ? { phase: 'Pending' } : {}),
  };
}

export function setPhase(ctx: ControllerContext, execution: Execution, phase: Phase, message?: string): void {
  writeWorkflow(ctx, execution, (workflow) => {
    const metadata = metadataOf(workflow);
    const labels = { ...((metadata['labels'] as Record<string, string> | undefined) ?? {}) };
    labels[LABEL_PHASE] = phase;
    const finished = phase !== 'Pending' && phase !== 'Running';
    labels[LABEL_COMPLETED] = finished ? 'true' : 'false';
    metadata['labels'] = labels;
    const status = { ...((workflow['status'] as Json | undefined) ?? {}) };
    status['phase'] = phase;
    if (phase === 'Running' && !status['startedAt']) status['startedAt'] = timestamp();
    if (finished) {
      status['startedAt'] ??= timestamp();
      status['finishedAt'] = timestamp();
      status['conditions'] = [
        { type: 'PodRunning', status: 'False' },
        { type: 'Completed', status: 'True' },
      ];
    }
    if (message !== undefined) status['message'] = message;
    workflow['status'] = status;
  });
}

export function addNode(
  execution: Execution,
  node: Omit<NodeStatus, 'id' | 'templateScope' | 'startedAt' | 'displayName'> & { displayName?: string },
  parentId: string | undefined,
): NodeStatus {
  const id = argoNodeId(execution.name, node.name);
  const full: NodeStatus = {
    id,
    displayName: node.displayName ?? node.name,
    templateScope: `local/${execution.name}`,
    startedAt: timestamp(),
    ...node,
  };
  execution.nodes[id] = full;
  if (parentId) {
    const parent = execution.nodes[parentId];
    if (parent) parent.children = [...(parent.children ?? []), id];
  }
  return full;
}

export function finishNode(node: NodeStatus, phase: Phase, message?: string): NodeStatus {
  node.phase = phase;
  node.finishedAt = timestamp();
  if (message !== undefined) node.message = message;
  else delete node.message;
  return node;
}
