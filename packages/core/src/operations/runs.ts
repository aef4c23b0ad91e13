// Operations on a pipeline's runs: start one, stop them, report their states, read their logs.
import { MAX_MESSAGE_BYTES } from '@hybrid-runner/protocol';
import { createHash } from 'node:crypto';
import type { OperationPayload, OperationResult, Pipeline } from '@hybrid-runner/protocol';
import type { RequestContext } from '../dispatcher.ts';
import { ClusterUnavailableError, ConflictError, NotFoundError } from '../errors.ts';
import { buildRunWorkflow, parseWorkflowConfig } from '../manifests.ts';
import { pipelineConfigSecretName, workflowRunId } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import type { KubeObject } from '../ports.ts';
import { workflowToRunStatus, type RunStatus } from '../status.ts';
import {
  findRun,
  isActive,
  listPipelineRuns,
  pipelineConfigSecret,
  rollbackFailed,
  runNotFound,
  settleAll,
  upsert,
  verifyPayloadSecrets,
  type OperationDeps,
} from './context.ts';

/** Label Argo puts on every pod of a Workflow. */
export const ARGO_WORKFLOW_LABEL = 'workflows.argoproj.io/workflow';
/** The container whose log is the run's log (manifests name the main container so). */
export const MAIN_CONTAINER = 'main';
/** Runs returned by getPipelineStatus when the request sets no limit. */
export const DEFAULT_STATUS_LIMIT = 100;
/** Room left for the response envelope around a getPipelineStatus payload. */
const STATUS_ENVELOPE_ALLOWANCE = 1024;
/**
 * How killIngestion stops a run. Terminate, not Stop: Stop runs the exit handler, which reports "failed" to
 * Collate for anything but Succeeded and would overwrite the `stopped` that Collate records on kill.
 */
export const KILL_STRATEGY = 'Terminate';

/**
 * runPipeline: one Workflow per run. A deployed pipeline takes one round trip: the Workflow is created
 * while the deployed config Secret (metadata only) and the payload's secret references are checked; if a
 * check fails, a Workflow this call may have created is deleted again before the error is reported. A
 * workflowConfig takes two: the Secret is written first (the run's pod reads it), then the Workflow is
 * created; for a never-deployed pipeline one more (replace gets 404, then create). Creating the same run id
 * twice returns the existing run instead of starting another.
 */
export async function runPipeline(
  deps: OperationDeps,
  payload: OperationPayload<'runPipeline'>,
  request?: RequestContext,
): Promise<OperationResult<'runPipeline'>> {
  const { cluster, settings } = deps;
  const { pipeline } = payload;
  const namespace = settings.namespace;
  // Without a runId from Collate, the run id comes from the request id: a retry of a request whose create
  // may have applied (its idempotency claim is released after cluster_unavailable) finds the same Workflow
  // instead of starting a second run.
  const derived = payload.runId === undefined && request !== undefined;
  const runId =
    payload.runId ??
    (request ? requestRunId(pipeline.fullyQualifiedName, request.requestId) : deps.ids.runId());
  const secretName = pipelineConfigSecretName(pipeline.fullyQualifiedName);

  if (payload.workflowConfig !== undefined) {
    const workflowConfig = parseWorkflowConfig(payload.workflowConfig);
    const [, botToken] = await Promise.all([
      verifyPayloadSecrets(deps, { pipeline, workflowConfig }, 'payload'),
      deps.botToken(),
    ]);
    await upsert(
      cluster,
      RESOURCES.secret,
      namespace,
      pipelineConfigSecret(settings, pipeline, workflowConfig, botToken),
    );
    return startRun(deps, pipeline, runId, derived);
  }

  // Metadata only: whether the config Secret exists, without fetching its data (the bot token).
  const [deployed, verified, created] = await Promise.allSettled([
    cluster.getMetadata(RESOURCES.secret, namespace, secretName),
    verifyPayloadSecrets(deps, { pipeline }, 'payload'),
    createRun(deps, pipeline, runId, derived),
  ]);
  const refusal =
    deployed.status === 'rejected'
      ? deployed.reason
      : deployed.value === undefined
        ? new NotFoundError(
            `Pipeline ${pipeline.fullyQualifiedName} is not deployed on this runner (no config Secret ${secretName}): ` +
              'deploy it first, or send its workflowConfig with runPipeline.',
          )
        : verified.status === 'rejected'
          ? verified.reason
          : undefined;
  if (refusal !== undefined) {
    // Undo our create: one that succeeded, or one whose answer was lost (it may have applied). A Workflow that
    // already existed (a retry of a run started earlier) is left alone.
    const mayHaveCreated =
      created.status === 'fulfilled'
        ? created.value !== 'stale' && created.value.created
        : created.reason instanceof ClusterUnavailableError;
    if (mayHaveCreated) {
      const name = buildRunWorkflow({ pipeline, settings, runId }).metadata.name;
      await cluster
        .delete(RESOURCES.workflow, namespace, name, { propagationPolicy: 'Background' })
        .catch((error: unknown) => {
          throw rollbackFailed(`run ${name}`, refusal, error);
        });
    }
    throw refusal;
  }
  if (created.status === 'rejected') throw created.reason;
  if (created.value !== 'stale') return { code: 200, runId, workflowName: created.value.name };
  return startFreshRun(deps, pipeline);
}

/** Creates the run's Workflow (after its config Secret was written). */
async function startRun(
  deps: OperationDeps,
  pipeline: Pipeline,
  runId: string,
  derived: boolean,
): Promise<OperationResult<'runPipeline'>> {
  const started = await createRun(deps, pipeline, runId, derived);
  if (started !== 'stale') return { code: 200, runId, workflowName: started.name };
  return startFreshRun(deps, pipeline);
}

/** The request id came again after the retry window, for a new run: mint a fresh id. */
async function startFreshRun(
  deps: OperationDeps,
  pipeline: Pipeline,
): Promise<OperationResult<'runPipeline'>> {
  const fresh = deps.ids.runId();
  const started = (await createRun(deps, pipeline, fresh, false)) as { name: string };
  return { code: 200, runId: fresh, workflowName: started.name };
}

/** How long a retry may still find the run its first attempt started (the idempotency window). */
export const RUN_RETRY_WINDOW_MS = 24 * 3600 * 1000;

/** A run id (UUID-shaped) that is the same for every retry of one request for one pipeline. */
export function requestRunId(pipelineFqn: string, requestId: string): string {
  const hex = createHash('sha256').update(`hybrid-runner-run\0${pipelineFqn}\0${requestId}`).digest('hex');
  // RFC 4122 layout with version 5 and the variant bits set, so it reads as any other UUID.
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Creates the run's Workflow; an existing Workflow of the same run counts as started (a retry, `created`
 * false). Returns its name, or, for a run id derived from a request id, `stale` when that run is older than
 * the retry window.
 */
async function createRun(
  deps: OperationDeps,
  pipeline: Pipeline,
  runId: string,
  derivedFromRequest: boolean,
): Promise<{ name: string; created: boolean } | 'stale'> {
  const { cluster, settings } = deps;
  const workflow = buildRunWorkflow({ pipeline, settings, runId });
  const workflowName = workflow.metadata.name;
  try {
    await cluster.create(RESOURCES.workflow, settings.namespace, workflow);
    return { name: workflowName, created: true };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const existing = await cluster.get(RESOURCES.workflow, settings.namespace, workflowName);
    if (!existing || workflowRunId(existing) !== runId) {
      throw new ConflictError(
        `A different run already uses the Workflow name ${workflowName}: retry without runId to get a fresh one.`,
        { cause: error },
      );
    }
    const createdAt = Date.parse(existing.metadata.creationTimestamp ?? '');
    const age = deps.clock.now().getTime() - createdAt;
    return derivedFromRequest && Number.isFinite(age) && age > RUN_RETRY_WINDOW_MS
      ? 'stale'
      : { name: workflowName, created: false };
  }
}

/**
 * killIngestion: every active run of the pipeline, or the one given. Two round trips: list the pipeline's
 * Workflows, then set spec.shutdown on each active one concurrently (merge patch).
 */
export async function killIngestion(
  deps: OperationDeps,
  payload: OperationPayload<'killIngestion'>,
): Promise<OperationResult<'killIngestion'>> {
  const { cluster, settings } = deps;
  const { pipeline, runId } = payload;
  const runs = await listPipelineRuns(deps, pipeline);
  let targets: KubeObject[];
  if (runId !== undefined) {
    const run = findRun(runs, runId);
    if (!run) throw runNotFound(pipeline, runId, settings);
    if (!isActive(run)) {
      const state = workflowToRunStatus(run, deps.clock.now()).pipelineState;
      return { code: 200, reason: `Run ${runId} had already finished (${state}): nothing to stop` };
    }
    targets = [run];
  } else {
    targets = runs.filter(isActive);
  }
  if (targets.length === 0) return { code: 200, reason: 'No active runs to stop' };

  await settleAll(
    targets
      .filter((run) => (run.spec as { shutdown?: string } | undefined)?.shutdown !== KILL_STRATEGY)
      .map((run) =>
        cluster
          .mergePatch(RESOURCES.workflow, settings.namespace, run.metadata.name as string, {
            spec: { shutdown: KILL_STRATEGY },
          })
          .catch((error: unknown) => {
            if (!(error instanceof NotFoundError)) throw error; // deleted meanwhile: nothing left to stop
          }),
      ),
  );
  const ids = targets.map((run) => workflowRunId(run) ?? run.metadata.name).join(', ');
  return { code: 200, reason: `Stopped ${targets.length} run(s): ${ids}` };
}

function statusBytes(runs: RunStatus[]): number {
  return Buffer.byteLength(JSON.stringify({ runs }));
}

/**
 * getPipelineStatus: one label-selected list of the pipeline's Workflows (paginated), mapped to run states,
 * newest first, at most `limit`; the oldest are dropped if the response would not fit in one message.
 */
export async function getPipelineStatus(
  deps: OperationDeps,
  payload: OperationPayload<'getPipelineStatus'>,
): Promise<OperationResult<'getPipelineStatus'>> {
  const now = deps.clock.now();
  const runs = (await listPipelineRuns(deps, payload.pipeline))
    .map((workflow) => workflowToRunStatus(workflow, now))
    .sort((a, b) => b.timestamp - a.timestamp || b.workflowName.localeCompare(a.workflowName))
    .slice(0, payload.limit ?? DEFAULT_STATUS_LIMIT);
  const budget = MAX_MESSAGE_BYTES - STATUS_ENVELOPE_ALLOWANCE;
  if (statusBytes(runs) > budget) {
    // Binary search for the longest prefix that fits (reasons make sizes uneven).
    let low = 0;
    let high = runs.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (statusBytes(runs.slice(0, middle)) <= budget) low = middle;
      else high = middle - 1;
    }
    runs.length = low;
  }
  return { runs };
}
