// Template retries as Argo does them: a Retry node over the attempts, each a pod.
import type { ControllerContext } from './context.ts';
import type { Execution, NodeStatus } from './execution.ts';
import type { Json } from './kube-json.ts';
import { runPod } from './pod-lifecycle.ts';
import { addNode, finishNode } from './workflow-status.ts';

/**
 * A Retry node whose children are the attempts `<node>(0)`, `<node>(1)`, …, as Argo names them; retries
 * after a failed attempt as `retryPolicy` says (OnFailure, the default, for failed main containers; OnError
 * for errors; Always for both) up to `limit` times.
 */
export async function runWithRetries(
  ctx: ControllerContext,
  execution: Execution,
  template: Json,
  retryStrategy: Json,
  nodeName: string,
  displayName: string,
  parentId: string | undefined,
  boundaryId: string | undefined,
  context: { exitHandler?: boolean; workflowStatus?: string },
): Promise<NodeStatus> {
  const limit =
    retryStrategy['limit'] === undefined ? Number.POSITIVE_INFINITY : Number(retryStrategy['limit']);
  const policy = String(retryStrategy['retryPolicy'] ?? 'OnFailure');
  const retryNode = addNode(
    execution,
    {
      name: nodeName,
      displayName,
      type: 'Retry',
      templateName: String(template['name']),
      phase: 'Running',
      ...(boundaryId ? { boundaryID: boundaryId } : {}),
    },
    parentId,
  );
  for (let attempt = 0; ; attempt++) {
    const child = await runPod(
      ctx,
      execution,
      template,
      `${nodeName}(${attempt})`,
      `${displayName}(${attempt})`,
      retryNode.id,
      boundaryId,
      context,
    );
    const retryable =
      child.phase === 'Error'
        ? ['OnError', 'Always', 'OnTransientError'].includes(policy)
        : child.phase === 'Failed' && ['OnFailure', 'Always'].includes(policy);
    if (child.phase === 'Succeeded' || !retryable || attempt >= limit || execution.interrupted) {
      return finishNode(retryNode, child.phase, child.message);
    }
  }
}
