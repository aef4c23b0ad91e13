// getIngestionLogs: a run's main container log, one chunk per request.
import type { OperationPayload, OperationResult } from '@hybrid-runner/protocol';
import { NotFoundError } from '../errors.ts';
import { readLogPage } from '../logs.ts';
import { archivedLog, podLog } from '../log-sources.ts';
import type { SeekableLog } from '../log-sources.ts';
import { isLogCursorFor } from '../log-cursor.ts';
import { redactSecretEdges } from '../log-redaction.ts';
import { logTaskKey } from '../log-task-keys.ts';
import { LABELS, TEMPLATES, workflowRunId } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import type { KubeObject } from '../ports.ts';
import { listAll } from '../list.ts';
import { findRun, listPipelineRuns, newestFirst, runNotFound, type OperationDeps } from './context.ts';
import { ARGO_WORKFLOW_LABEL, MAIN_CONTAINER } from './runs.ts';
import { workflowNodes, type ArgoNodeStatus } from '../argo-node.ts';

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
  const archiveKey = deps.logArchive ? archivedLogKey(run) : undefined;
  const gone = () =>
    new NotFoundError(
      `The logs of run ${label} of pipeline ${pipeline.fullyQualifiedName} are gone: its pod was ` +
        'garbage-collected (Argo pod GC or the workflow TTL) and took its logs with it' +
        (deps.logArchive
          ? ', and Argo archived no copy of them (the run ended before archiving was on, or its wait container ' +
            'could not write to the bucket). '
          : '. Turn on logs.archive in the stage configuration to keep them, or keep pods longer (podGC). '),
    );
  const archived = archiveKey && deps.logArchive ? archivedLog(deps.logArchive, archiveKey, gone) : undefined;
  let log: SeekableLog;
  if (pod) {
    if (!podStarted(pod)) {
      throw new NotFoundError(
        `Run ${label} of pipeline ${pipeline.fullyQualifiedName} has not started yet (pod ${pod.metadata.name} is ` +
          'still pending): ask for its logs again in a few seconds.',
      );
    }
    const fromPod = podLog(cluster, namespace, pod.metadata.name as string, MAIN_CONTAINER);
    // The pod may be deleted between the list and the read: its archive (when there is one) has the same bytes.
    log = archived ? orElse(fromPod, archived) : fromPod;
  } else if (archived) {
    log = archived;
  } else if (phase === '' || phase === 'Pending') {
    throw new NotFoundError(
      `Run ${label} of pipeline ${pipeline.fullyQualifiedName} has not started yet (no pod exists): ` +
        'ask for its logs again in a few seconds.',
    );
  } else {
    throw gone();
  }
  const taskKey = logTaskKey(pipeline.pipelineType);
  const [page, botToken] = await Promise.all([
    readLogPage(log, {
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

/** Reads `first`; if it is not found before anything was read, reads `second` instead. */
function orElse(first: SeekableLog, second: SeekableLog): SeekableLog {
  return {
    async *open(from, wantedBytes) {
      let started = false;
      try {
        for await (const piece of first.open(from, wantedBytes)) {
          started = true;
          yield piece;
        }
      } catch (error) {
        if (started || !(error instanceof NotFoundError)) throw error;
        yield* second.open(from, wantedBytes);
      }
    },
  };
}

/** The artifact Argo records for an archived container log (`archiveLogs`): `<container>-logs`. */
export const MAIN_LOG_ARTIFACT = `${MAIN_CONTAINER}-logs`;

/**
 * Where Argo archived the main container's log: the `main-logs` artifact its controller records on the pod's
 * node (the key comes from the artifact repository's keyFormat). The latest main-template node that has one
 * (a retried step has several); another pod node's when no main template ran (one-off runs).
 */
export function archivedLogKey(run: KubeObject): string | undefined {
  const nodes = workflowNodes(run.status);
  const withLog = nodes
    .filter((node) => node.type === 'Pod' && node.templateName !== TEMPLATES.exitHandler)
    .map((node) => ({
      node,
      key: node.outputs?.artifacts?.find((artifact) => artifact.name === MAIN_LOG_ARTIFACT)?.s3?.key,
    }))
    .filter(
      (entry): entry is { node: ArgoNodeStatus; key: string } =>
        typeof entry.key === 'string' && entry.key !== '',
    )
    .sort(
      (a, b) =>
        Number(b.node.templateName === TEMPLATES.main) - Number(a.node.templateName === TEMPLATES.main) ||
        Date.parse(b.node.startedAt ?? '') - Date.parse(a.node.startedAt ?? '') ||
        0,
    );
  return withLog[0]?.key;
}
