// Reconciliation: walk the runner's Workflows a page at a time, work out each run's state (including runs
// whose pod can never start), and report the ones whose state changed since last reported. The last
// reported state lives on the Workflow itself (an annotation), so it disappears with the run.
import { eventMessage, type EventMessage, type PipelineState } from '@hybrid-runner/protocol';
import { ANNOTATIONS, LABELS, MANAGED_BY } from './names.ts';
import { RESOURCES, type ClusterPort, type Clock, type KubeObject } from './ports.ts';
import type { RunnerSettings } from './settings.ts';
import { stateChangedAt, workflowToRunStatus, type RunStatus } from './status.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { ARGO_WORKFLOW_LABEL } from './operations/runs.ts';
import type { CursorStore } from './heartbeat.ts';

/** The state last pushed to Collate for this run; compared on every pass. */
export const REPORTED_STATE_ANNOTATION = 'hybrid-runner.getcollate.io/reported-state';

const CURSOR_NAME = 'reconcile';
/** Kubernetes continue tokens expire after a few minutes; a stale one is worth nothing after that. */
const CURSOR_RETAIN_SECONDS = 15 * 60;
const NON_TERMINAL: ReadonlySet<PipelineState> = new Set(['queued', 'running']);

export interface ReconcileOptions {
  cluster: ClusterPort;
  settings: Pick<RunnerSettings, 'namespace'>;
  clock: Clock;
  cursor: CursorStore;
  /**
   * Delivers one pipelineStatus event (to every connection). Resolving `false` means no connection got it:
   * the change is then not remembered, so the next pass reports it again.
   */
  publish: (event: EventMessage<'pipelineStatus'>) => Promise<boolean | void>;
  /** Milliseconds left in this invocation (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Stop starting new pages when less than this is left. */
  reserveMs?: number;
  pageSize?: number;
  /** Pages per invocation at most, whatever the time left. */
  maxPages?: number;
  /** How long a pod may stay unschedulable before its run is reported failed (status.ts default otherwise). */
  unschedulableLimitMs?: number;
  /** Called for each run whose change was delivered (metrics: runs finished, failed before start, lag). */
  onReported?: (run: ReportedRun) => void;
}

export interface ReportedRun {
  pipelineState: PipelineState;
  failedBeforeStart: boolean;
  /** When the run entered this state (epoch ms). */
  changedAt: number;
}

export interface ReconcileOutcome {
  examined: number;
  reported: number;
  pages: number;
  /** False when the pass stopped early; the next invocation resumes from the stored cursor. */
  finished: boolean;
}

type Workflow = KubeObject;

/** The state to report for a run; `failed` with the reason when its pod can never start. */
export async function observedRunState(
  cluster: ClusterPort,
  namespace: string,
  workflow: Workflow,
  now: Date,
  unschedulableLimitMs?: number,
): Promise<RunStatus> {
  const status = workflowToRunStatus(workflow, now);
  if (!NON_TERMINAL.has(status.pipelineState) || !status.workflowName) return status;
  // Only runs that have not finished can be stuck before start; only they cost a pod list.
  const pods = await cluster.list(RESOURCES.pod, namespace, {
    labelSelector: `${ARGO_WORKFLOW_LABEL}=${status.workflowName}`,
  });
  return workflowToRunStatus(workflow, now, {
    pods: pods.items,
    ...(unschedulableLimitMs !== undefined ? { unschedulableLimitMs } : {}),
  });
}

/** Reports one run if its state changed; true when an event went out and was remembered. */
async function reconcileWorkflow(options: ReconcileOptions, workflow: Workflow): Promise<boolean> {
  const fqn = workflow.metadata.annotations?.[ANNOTATIONS.pipelineFqn];
  const name = workflow.metadata.name;
  // Automations have no pipeline to report on; objects without a name cannot be patched.
  if (!fqn || !name) return false;
  const observed = await observedRunState(
    options.cluster,
    options.settings.namespace,
    workflow,
    options.clock.now(),
    options.unschedulableLimitMs,
  );
  if (workflow.metadata.annotations?.[REPORTED_STATE_ANNOTATION] === observed.pipelineState) return false;
  const delivered = await options.publish(
    eventMessage('pipelineStatus', {
      pipelineFQN: fqn,
      runId: observed.runId,
      pipelineState: observed.pipelineState,
      workflowName: observed.workflowName,
      ...(observed.reason ? { reason: observed.reason } : {}),
      timestamp: observed.timestamp,
    }),
  );
  if (delivered === false) return false;
  options.onReported?.({
    pipelineState: observed.pipelineState,
    failedBeforeStart: observed.failedBeforeStart === true,
    changedAt: stateChangedAt(observed),
  });
  try {
    await options.cluster.mergePatch(RESOURCES.workflow, options.settings.namespace, name, {
      metadata: { annotations: { [REPORTED_STATE_ANNOTATION]: observed.pipelineState } },
    });
  } catch (error) {
    // Deleted meanwhile: nothing left to remember. Other faults mean the event may be sent again: harmless.
    if (!(error instanceof NotFoundError)) throw error;
  }
  return true;
}

/** One bounded, resumable pass over the runner's Workflows. */
export async function reconcileRuns(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const reserveMs = options.reserveMs ?? 5_000;
  const pageSize = options.pageSize ?? 50;
  const maxPages = options.maxPages ?? 20;
  const outcome: ReconcileOutcome = { examined: 0, reported: 0, pages: 0, finished: false };
  let cursor = await options.cursor.get(CURSOR_NAME);
  while (outcome.pages < maxPages && options.remainingMs() > reserveMs) {
    let page;
    try {
      page = await options.cluster.list<Workflow>(RESOURCES.workflow, options.settings.namespace, {
        labelSelector: `${LABELS.managedBy}=${MANAGED_BY}`,
        limit: pageSize,
        ...(cursor ? { continue: cursor } : {}),
      });
    } catch (error) {
      // An expired continue token (410 Gone, a ConflictError on a continued page): start the walk over.
      // Any other fault (cluster unavailable) ends the pass with the cursor kept, without a second slow list.
      if (!cursor || !(error instanceof ConflictError)) throw error;
      cursor = undefined;
      continue;
    }
    outcome.pages++;
    let interrupted = false;
    for (const workflow of page.items) {
      if (options.remainingMs() <= reserveMs) {
        // Out of time mid-page: keep the cursor on this page; runs already reported are skipped next time.
        interrupted = true;
        break;
      }
      outcome.examined++;
      if (await reconcileWorkflow(options, workflow)) outcome.reported++;
    }
    if (interrupted) break;
    cursor = page.continue;
    if (!cursor) {
      outcome.finished = true;
      break;
    }
  }
  await options.cursor.set(CURSOR_NAME, outcome.finished ? undefined : cursor, {
    retainSeconds: CURSOR_RETAIN_SECONDS,
  });
  return outcome;
}
