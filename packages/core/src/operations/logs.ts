// getIngestionLogs: a run's main container log, one chunk per request.
import type { OperationPayload, OperationResult } from '@hybrid-runner/protocol';
import { NotFoundError } from '../errors.ts';
import { chunkLogStream } from '../logs.ts';
import { isLogCursorFor } from '../log-cursor.ts';
import { redactSecretEdges } from '../log-redaction.ts';
import { logTaskKey } from '../log-task-keys.ts';
import { LABELS, TEMPLATES, workflowRunId } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import type { KubeObject } from '../ports.ts';
import { listAll } from '../list.ts';
import { findRun, listPipelineRuns, newestFirst, runNotFound, type OperationDeps } from './context.ts';
import { ARGO_WORKFLOW_LABEL, MAIN_CONTAINER } from './runs.ts';

function podStarted(pod: KubeObject): boolean {
  const status = pod.status as
    | { phase?: string; containerStatuses?: Array<{ state?: { running?: unknown; terminated?: unknown } }> }
    | undefined;
  if (status?.phase && status.phase !== 'Pending') return true;
  return (status?.containerStatuses ?? []).some(
    (container) => container.state?.running || container.state?.terminated,
  );
}

/**
 * getIngestionLogs: the main container's log of the run (or of the latest run), one chunk per request.
 * Finds the run among the pipeline's Workflows, then its pod by Argo's workflow label.
 */
export async function getIngestionLogs(
  deps: OperationDeps,
  payload: OperationPayload<'getIngestionLogs'>,
): Promise<OperationResult<'getIngestionLogs'>> {
  const { cluster, settings } = deps;
  const { pipeline, runId } = payload;
  const namespace = settings.namespace;
  const runs = await listPipelineRuns(deps, pipeline);
  // Without a run id, a cursor keeps reading the run it was issued for, even after a newer run started.
  const run =
    runId !== undefined
      ? findRun(runs, runId)
      : ((payload.after !== undefined
          ? runs.find((candidate) => isLogCursorFor(payload.after as string, candidate.metadata.name ?? ''))
          : undefined) ?? newestFirst(runs)[0]);
  if (!run) {
    if (runId !== undefined) throw runNotFound(pipeline, runId, settings);
    throw new NotFoundError(
      `Pipeline ${pipeline.fullyQualifiedName} has no runs on this runner yet: run it, then ask for its logs.`,
    );
  }
  const workflowName = run.metadata.name as string;
  const label = workflowRunId(run) ?? workflowName;
  const pods = await listAll(cluster, RESOURCES.pod, namespace, {
    labelSelector: `${ARGO_WORKFLOW_LABEL}=${workflowName}`,
  });
  const mainPods = pods.filter((pod) => pod.metadata.labels?.[LABELS.template] === TEMPLATES.main);
  const candidates =
    mainPods.length > 0
      ? mainPods
      : pods.filter((pod) => pod.metadata.labels?.[LABELS.template] !== TEMPLATES.exitHandler);
  const pod = newestFirst(candidates)[0];
  const phase = (run.status as { phase?: string } | undefined)?.phase ?? '';
  if (!pod) {
    if (phase === '' || phase === 'Pending') {
      throw new NotFoundError(
        `Run ${label} of pipeline ${pipeline.fullyQualifiedName} has not started yet (no pod exists): ` +
          'ask for its logs again in a few seconds.',
      );
    }
    throw new NotFoundError(
      `The logs of run ${label} of pipeline ${pipeline.fullyQualifiedName} are gone: its pod was ` +
        'garbage-collected (Argo pod GC or the workflow TTL) and took its logs with it. Keep pods longer ' +
        '(podGC setting) or archive logs to read finished runs.',
    );
  }
  if (!podStarted(pod)) {
    throw new NotFoundError(
      `Run ${label} of pipeline ${pipeline.fullyQualifiedName} has not started yet (pod ${pod.metadata.name} is ` +
        'still pending): ask for its logs again in a few seconds.',
    );
  }
  const taskKey = logTaskKey(pipeline.pipelineType);
  const [page, botToken] = await Promise.all([
    chunkLogStream(cluster.podLogs(namespace, pod.metadata.name as string, { container: MAIN_CONTAINER }), {
      taskKey,
      scope: workflowName,
      ...(payload.after !== undefined ? { after: payload.after } : {}),
    }),
    // The pod's config holds the bot token and a log may print it: whole occurrences are redacted from every
    // response (dispatcher), one that a chunk boundary cut in two is redacted here. Unreadable: no token to hide.
    deps.botToken().catch(() => undefined),
  ]);
  return {
    [taskKey]: botToken ? redactSecretEdges(page.text, [botToken]) : page.text,
    total: page.total,
    ...(page.after !== undefined ? { after: page.after } : {}),
  };
}
