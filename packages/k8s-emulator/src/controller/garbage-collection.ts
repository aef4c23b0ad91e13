// Garbage collection after pods and workflows finish: podGC (strategy, label selector, delay) and
// ttlStrategy.
import { parseGoDuration } from '../cron.ts';
import { LABEL_WORKFLOW } from './argo-labels.ts';
import type { ControllerContext } from './context.ts';
import type { Execution, Phase } from './execution.ts';
import type { Json } from './kube-json.ts';
import { metadataOf } from './kube-json.ts';

export function podGcDelay(ctx: ControllerContext, execution: Execution): number {
  const podGC = (execution.spec['podGC'] ?? {}) as Json;
  const delay =
    typeof podGC['deleteDelayDuration'] === 'string' ? parseGoDuration(podGC['deleteDelayDuration']) : 0;
  return ((delay ?? 0) / 1000) * ctx.options.msPerSecond;
}

export function deletePodLater(ctx: ControllerContext, execution: Execution, podName: string): void {
  const podGC = (execution.spec['podGC'] ?? {}) as Json;
  const selector = (podGC['labelSelector'] as Json | undefined)?.['matchLabels'] as
    Record<string, string> | undefined;
  const remove = (): void => {
    const pod = ctx.cluster.get(ctx.pods, execution.namespace, podName);
    if (!pod) return;
    const labels = (metadataOf(pod)['labels'] ?? {}) as Record<string, string>;
    if (selector && !Object.entries(selector).every(([k, v]) => labels[k] === v)) return;
    try {
      ctx.cluster.delete(ctx.pods, execution.namespace, podName);
    } catch (error) {
      ctx.report(error, `podGC of ${execution.namespace}/${podName}`);
    }
  };
  const delay = podGcDelay(ctx, execution);
  if (delay > 0) ctx.later(delay, remove);
  else remove();
}

export function podCompleted(
  ctx: ControllerContext,
  execution: Execution,
  podName: string,
  podPhase: string,
): void {
  const strategy = ((execution.spec['podGC'] ?? {}) as Json)['strategy'];
  if (strategy === 'OnPodCompletion' || (strategy === 'OnPodSuccess' && podPhase === 'Succeeded'))
    deletePodLater(ctx, execution, podName);
}

export function collectGarbage(ctx: ControllerContext, execution: Execution, phase: Phase): void {
  const strategy = ((execution.spec['podGC'] ?? {}) as Json)['strategy'];
  if (strategy === 'OnWorkflowCompletion' || (strategy === 'OnWorkflowSuccess' && phase === 'Succeeded')) {
    const pods = ctx.cluster.store.list(ctx.pods, {
      namespace: execution.namespace,
      labels: [{ key: LABEL_WORKFLOW, operator: 'equals', value: execution.name }],
    });
    for (const pod of pods.items) deletePodLater(ctx, execution, String(metadataOf(pod)['name']));
  }
  const ttl = (execution.spec['ttlStrategy'] ?? {}) as Json;
  const seconds =
    phase === 'Succeeded'
      ? (ttl['secondsAfterSuccess'] ?? ttl['secondsAfterCompletion'])
      : (ttl['secondsAfterFailure'] ?? ttl['secondsAfterCompletion']);
  if (typeof seconds === 'number' && ctx.workflows) {
    const workflows = ctx.workflows;
    ctx.later(seconds * ctx.options.msPerSecond, () => {
      const current = ctx.cluster.get(workflows, execution.namespace, execution.name);
      if (!current || metadataOf(current)['uid'] !== execution.uid) return;
      try {
        ctx.cluster.delete(workflows, execution.namespace, execution.name, {
          propagationPolicy: 'Background',
        });
      } catch (error) {
        ctx.report(error, `TTL deletion of ${execution.namespace}/${execution.name}`);
      }
    });
  }
}
