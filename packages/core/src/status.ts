// Argo Workflow (and, when given, its pods) → the OpenMetadata pipeline state of that run.
//
// Rules, in order:
// 1. Succeeded → success, or partialSuccess when a pod node of the run outputs the parameter `pipelineState`
//    (or `pipeline-state`) = `partialSuccess`. OpenMetadata's ingestion exits 0 on a partial success, so the
//    exit code cannot tell; an output parameter is the only signal a template can give without failing the run.
// 2. A run that was shut down (spec.shutdown Stop/Terminate, or Argo's "Stopped with strategy" message) and did
//    not succeed → stopped, never failed. killIngestion uses Terminate: Stop would run the exit handler, which
//    reports "failed" to Collate for any non-Succeeded status and so overwrites the `stopped` Collate records
//    on kill; with Terminate only this mapping speaks for the run, and it says stopped.
// 3. Failed/Error → failed, with the cause: the failing pod node's message (earliest), else status.message.
// 4. Pending/''/Running whose pod can never start → failed with the reason: image pull errors, invalid image
//    names, container config errors (from pod container statuses, or from Argo's node messages when no pods
//    are passed), or Unschedulable for longer than `unschedulableLimitMs`.
// 5. Running → running; Pending or no phase yet → queued.
// Attempts Argo retried after a node interruption (interruption-retry.ts) are not the run's cause: a run that
// succeeds after one is `success`, and every state says so in `reason`; a run that fails after one reports its
// last attempt's cause, with the retries.
// The phase is status.phase; without one, the `workflows.argoproj.io/phase` label Argo's controller sets; without
// that, a status with startedAt and nodes counts as Running: the controller wrote part of its status (it
// patches status and labels in separate steps), so the run has started and is not queued any more.
// Dates are epoch milliseconds, as OpenMetadata stores them; `timestamp` is when the run was created.
import type { PipelineState } from '@hybrid-runner/protocol';
import { describeRetries, retriedAttempts } from './interruption-retry.ts';
import { workflowRunId } from './names.ts';
import type { KubeObject } from './ports.ts';
import { workflowNodes, type ArgoNodeStatus } from './argo-node.ts';

/** Waiting reasons after which a container will not start without someone changing something. */
export const FATAL_WAITING_REASONS = [
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
] as const;

/** How long a pod may stay Unschedulable before its run counts as failed (cluster autoscaling takes minutes). */
export const DEFAULT_UNSCHEDULABLE_LIMIT_MS = 10 * 60 * 1000;

const MAX_REASON_LENGTH = 1000;

/** The label Argo's workflow controller keeps equal to the workflow's phase. */
export const ARGO_PHASE_LABEL = 'workflows.argoproj.io/phase';

/** status.phase, else the phase label, else Running once the controller recorded a start and nodes. */
function effectivePhase(workflow: ArgoWorkflowView): string {
  const status = workflow.status;
  if (status?.phase) return status.phase;
  const labelled = workflow.metadata.labels?.[ARGO_PHASE_LABEL];
  if (labelled) return labelled;
  const started = epochMs(status?.startedAt) !== undefined;
  return started && Object.keys(status?.nodes ?? {}).length > 0 ? 'Running' : '';
}

export interface RunStatus {
  runId: string;
  pipelineState: PipelineState;
  startDate?: number;
  endDate?: number;
  timestamp: number;
  workflowName: string;
  reason?: string;
  /** The run failed because its pod could never start (image pull, unschedulable, deadline). */
  failedBeforeStart?: boolean;
}

/** When the run entered the state it is in (epoch ms): its end, else its start, else its creation. */
export function stateChangedAt(status: RunStatus): number {
  return status.endDate ?? status.startDate ?? status.timestamp;
}

export interface StatusOptions {
  /** Pods of this workflow (label `workflows.argoproj.io/workflow=<name>`), for start-failure detection. */
  pods?: KubeObject[];
  unschedulableLimitMs?: number;
}

interface ArgoWorkflowView {
  metadata: KubeObject['metadata'];
  spec?: { shutdown?: string };
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    nodes?: Record<string, ArgoNodeStatus>;
  };
}

interface PodView {
  metadata: KubeObject['metadata'];
  status?: {
    phase?: string;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    initContainerStatuses?: ContainerStatusView[];
    containerStatuses?: ContainerStatusView[];
  };
}

interface ContainerStatusView {
  name?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

function epochMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function clip(text: string): string {
  const flat = text.trim();
  return flat.length > MAX_REASON_LENGTH ? `${flat.slice(0, MAX_REASON_LENGTH)}…` : flat;
}

function isFatalReason(text: string | undefined): text is string {
  return text !== undefined && FATAL_WAITING_REASONS.some((reason) => text.startsWith(reason));
}

function wasShutDown(workflow: ArgoWorkflowView): boolean {
  return Boolean(workflow.spec?.shutdown) || /^Stopped with strategy/.test(workflow.status?.message ?? '');
}

function reportsPartialSuccess(workflow: ArgoWorkflowView): boolean {
  return workflowNodes(workflow.status).some((node) =>
    (node.outputs?.parameters ?? []).some(
      (parameter) =>
        (parameter.name === 'pipelineState' || parameter.name === 'pipeline-state') &&
        parameter.value?.trim() === 'partialSuccess',
    ),
  );
}

function failureCause(workflow: ArgoWorkflowView, retried: Set<string>): string | undefined {
  const failedPods = Object.entries(workflow.status?.nodes ?? {})
    .filter(([id]) => !retried.has(id))
    .map(([, node]) => node)
    .filter(
      (node) => node.type === 'Pod' && (node.phase === 'Failed' || node.phase === 'Error') && node.message,
    )
    .sort((a, b) => (epochMs(a.finishedAt) ?? Infinity) - (epochMs(b.finishedAt) ?? Infinity));
  const node = failedPods[0];
  if (node) {
    const exit =
      node.outputs?.exitCode && !/exit code/i.test(node.message ?? '')
        ? ` (exit code ${node.outputs.exitCode})`
        : '';
    return `${node.displayName ?? node.name ?? 'step'}: ${node.message}${exit}`;
  }
  return workflow.status?.message || undefined;
}

/**
 * Why a run's pod can never start, or undefined. Looks at pod container statuses and scheduling conditions
 * when pods are given, and at Argo's pending node messages (which carry the same waiting reasons) otherwise.
 */
export function detectStartFailure(
  workflow: KubeObject,
  pods: KubeObject[] = [],
  now: Date | number = Date.now(),
  unschedulableLimitMs = DEFAULT_UNSCHEDULABLE_LIMIT_MS,
): string | undefined {
  const nowMs = typeof now === 'number' ? now : now.getTime();
  for (const pod of pods as PodView[]) {
    const podName = pod.metadata.name ?? 'pod';
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const status of statuses) {
      const waiting = status.state?.waiting;
      if (isFatalReason(waiting?.reason)) {
        const detail = waiting?.message ? `: ${waiting.message}` : '';
        return clip(`Pod ${podName} cannot start (${waiting.reason}${detail})`);
      }
    }
    const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      const since = epochMs(scheduled.lastTransitionTime) ?? epochMs(pod.metadata.creationTimestamp);
      if (since !== undefined && nowMs - since >= unschedulableLimitMs) {
        const minutes = Math.round((nowMs - since) / 60_000);
        const detail = scheduled.message ? `: ${scheduled.message}` : '';
        return clip(`Pod ${podName} could not be scheduled for ${minutes} min (Unschedulable${detail})`);
      }
    }
  }
  for (const node of workflowNodes((workflow as ArgoWorkflowView).status)) {
    if (
      node.type === 'Pod' &&
      (node.phase === 'Pending' || node.phase === undefined) &&
      isFatalReason(node.message)
    ) {
      return clip(`Step ${node.displayName ?? node.name ?? 'pod'} cannot start (${node.message})`);
    }
  }
  return undefined;
}

/** The pipeline status of one run as OpenMetadata wants it. */
export function workflowToRunStatus(
  workflow: KubeObject,
  now: Date | number,
  options: StatusOptions = {},
): RunStatus {
  const view = workflow as ArgoWorkflowView;
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const phase = effectivePhase(view);
  const startDate = epochMs(view.status?.startedAt);
  const finishedAt = epochMs(view.status?.finishedAt);
  const base = {
    runId: workflowRunId(view) ?? view.metadata.name ?? '',
    workflowName: view.metadata.name ?? '',
    timestamp: epochMs(view.metadata.creationTimestamp) ?? startDate ?? nowMs,
    ...(startDate !== undefined ? { startDate } : {}),
  };
  const retried = retriedAttempts(view.status?.nodes);
  const retries = describeRetries(retried.attempts);
  const withRetries = (reason?: string): string | undefined =>
    reason && retries ? `${reason}; ${retries}` : (reason ?? retries);
  const finished = (pipelineState: PipelineState, reason?: string): RunStatus => {
    const text = withRetries(reason);
    return { ...base, pipelineState, endDate: finishedAt ?? nowMs, ...(text ? { reason: clip(text) } : {}) };
  };

  if (phase === 'Succeeded') return finished(reportsPartialSuccess(view) ? 'partialSuccess' : 'success');
  if (wasShutDown(view)) {
    const done = phase === 'Failed' || phase === 'Error';
    const reason = `Stopped on request (${view.spec?.shutdown ?? 'Stop'})`;
    return done ? finished('stopped', reason) : { ...base, pipelineState: 'stopped', reason };
  }
  if (phase === 'Failed' || phase === 'Error') {
    return finished(
      'failed',
      failureCause(view, retried.ids) ?? `Workflow ${phase.toLowerCase()} without a message`,
    );
  }
  const startFailure = detectStartFailure(workflow, options.pods, nowMs, options.unschedulableLimitMs);
  if (startFailure) {
    return {
      ...base,
      pipelineState: 'failed',
      reason: startFailure,
      endDate: nowMs,
      failedBeforeStart: true,
    };
  }
  const pending = retries ? { reason: clip(retries) } : {};
  if (phase === 'Running') return { ...base, pipelineState: 'running', ...pending };
  return { ...base, pipelineState: 'queued', ...pending };
}
