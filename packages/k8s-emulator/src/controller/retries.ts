// Template retries as Argo does them: a Retry node whose children are the attempts `<node>(0)`, `<node>(1)`,
// …; after a failed attempt, `retryPolicy` (OnFailure by default, Always once an expression is given, as in
// Argo ≥ 3.5) and `expression` (retry-expression.ts) decide, within `limit`, with `backoff` between attempts
// (the Retry node says "Backoff for …" meanwhile). A run being shut down or past its deadline is not retried.
import { parseGoDuration } from '../cron.ts';
import { evaluateRetryExpression } from '../retry-expression.ts';
import type { ControllerContext } from './context.ts';
import type { Execution, NodeStatus } from './execution.ts';
import type { Json } from './kube-json.ts';
import { runPod } from './pod-lifecycle.ts';
import { addNode, finishNode, writeWorkflow } from './workflow-status.ts';

/** Argo's backoff duration: a Go duration ("30s", "2m") or a bare number of seconds ("1"). */
function durationSeconds(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value ?? '0');
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : (parseGoDuration(text) ?? 0) / 1000;
}

function secondsBetween(from: string, to: string | undefined): number {
  const end = to ? Date.parse(to) : Date.now();
  return Math.max(0, Math.round((end - Date.parse(from)) / 1000));
}

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
  const expression =
    typeof retryStrategy['expression'] === 'string' ? retryStrategy['expression'] : undefined;
  const policy = String(retryStrategy['retryPolicy'] ?? (expression ? 'Always' : 'OnFailure'));
  const backoff = (retryStrategy['backoff'] ?? {}) as Json;
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
    let retryable =
      child.phase === 'Error'
        ? ['OnError', 'Always', 'OnTransientError'].includes(policy)
        : child.phase === 'Failed' && ['OnFailure', 'Always'].includes(policy);
    if (child.phase === 'Succeeded' || !retryable || attempt >= limit || execution.interrupted) {
      return finishNode(retryNode, child.phase, child.message);
    }
    if (expression) {
      try {
        retryable = evaluateRetryExpression(expression, {
          exitCode: child.outputs?.exitCode ?? '-1',
          status: child.phase,
          duration: String(secondsBetween(child.startedAt, child.finishedAt)),
          message: child.message ?? '',
        });
      } catch (error) {
        return finishNode(
          retryNode,
          'Error',
          `the simulated controller cannot evaluate retryStrategy.expression: ${(error as Error).message}`,
        );
      }
      if (!retryable) return finishNode(retryNode, child.phase, child.message);
    }
    if (backoff['duration'] !== undefined) {
      const factor = Number(backoff['factor'] ?? 1);
      const seconds = durationSeconds(backoff['duration']) * factor ** attempt;
      retryNode.message = `Backoff for ${seconds} seconds`;
      writeWorkflow(ctx, execution, () => {});
      await execution.sleep(seconds * ctx.options.msPerSecond);
      delete retryNode.message;
      if (execution.interrupted) return finishNode(retryNode, child.phase, child.message);
    }
  }
}
