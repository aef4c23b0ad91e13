// A pod lost to its node, as on a Spot interruption: Karpenter drains the node (the eviction API deletes the
// pod) and Argo, finding the pod gone, marks its node Error with "pod deleted". Scenario `evictedOnce` does
// this to a template's first attempt only, halfway through its run, so the retry (retries.ts) runs normally.
import type { ControllerContext } from './context.ts';
import type { Execution, NodeStatus } from './execution.ts';
import { finishNode, writeWorkflow } from './workflow-status.ts';

/** Argo's message for a pod node whose pod disappeared (operator.go, podReconciliation). */
export const POD_DELETED_MESSAGE = 'pod deleted';

/** Whether this attempt is the one `evictedOnce` loses (the first of its template in this workflow). */
export function claimEviction(execution: Execution, templateName: string): boolean {
  if (execution.evictedTemplates.has(templateName)) return false;
  execution.evictedTemplates.add(templateName);
  return true;
}

/** Deletes the pod as a drain does and ends its node as Argo then does. */
export function evictPod(
  ctx: ControllerContext,
  execution: Execution,
  node: NodeStatus,
  podName: string,
): NodeStatus {
  try {
    ctx.cluster.delete(ctx.cluster.resource('', 'pods'), execution.namespace, podName);
  } catch {
    // Already gone (deleted by hand meanwhile): the node ends the same way.
  }
  finishNode(node, 'Error', POD_DELETED_MESSAGE);
  writeWorkflow(ctx, execution, () => {});
  return node;
}
