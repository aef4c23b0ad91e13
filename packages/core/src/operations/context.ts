// What every operation shares: its dependencies and the few cluster idioms they all use (list every page,
// upsert in as few round trips as the port allows, find a pipeline's runs).
import type { Pipeline } from '@hybrid-runner/protocol';
import { NotFoundError, RunnerError } from '../errors.ts';
import { listAll } from '../list.ts';
import {
  buildConfigSecret,
  ingestionIdentity,
  renderWorkflowConfig,
  type SecretManifest,
} from '../manifests.ts';
import { pipelineConfigSecretName, pipelineSelector, workflowRunId } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import type { Clock, ClusterPort, Ids, KubeObject, LogArchive, ResourceType, SecretStore } from '../ports.ts';
import { verifySecretReferences } from '../secret-refs.ts';
import type { RunnerSettings } from '../settings.ts';

export interface OperationDeps {
  cluster: ClusterPort;
  secrets: SecretStore;
  clock: Clock;
  ids: Ids;
  settings: RunnerSettings;
  /** The ingestion bot's JWT, written only into config Secrets. */
  botToken: () => Promise<string>;
  /** Argo's archived container logs (logs.archive); without it, a run's logs go with its pod. */
  logArchive?: LogArchive;
}

/**
 * Checks that every secret reference in `payload` is under the configured prefix and exists; errors name
 * the reference's path below `basePath` (the payload field it came from).
 */
export function verifyPayloadSecrets(
  deps: OperationDeps,
  payload: unknown,
  basePath: string,
): Promise<unknown> {
  return verifySecretReferences(payload, {
    prefix: deps.settings.secretsManager.prefix,
    store: deps.secrets,
    basePath,
  });
}

/** A pipeline's config Secret: its rendered workflowConfig (with the bot token), labelled as the pipeline's. */
export function pipelineConfigSecret(
  settings: RunnerSettings,
  pipeline: Pipeline,
  workflowConfig: unknown,
  botToken: string,
): SecretManifest {
  return buildConfigSecret({
    name: pipelineConfigSecretName(pipeline.fullyQualifiedName),
    config: renderWorkflowConfig(workflowConfig, { pipeline, settings, botToken }),
    settings,
    identity: ingestionIdentity(pipeline, settings),
  });
}

/** The fields of an object that we own and compare: everything but server-managed metadata and status. */
export function desiredContent(object: KubeObject): Record<string, unknown> {
  const { metadata, status: _status, ...rest } = object;
  return {
    ...rest,
    metadata: { labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} },
  };
}

/** The object as it can be created again (restoring something this call deleted or replaced). */
export function recreatable<T extends KubeObject>(object: T): T {
  const copy = structuredClone(object);
  const { name, namespace, labels, annotations, ownerReferences } = copy.metadata;
  copy.metadata = {
    ...(name !== undefined ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(ownerReferences ? { ownerReferences } : {}),
  };
  delete (copy as Record<string, unknown>).status;
  return copy;
}

/**
 * Writes `desired` whatever exists: replace first (one round trip when the object exists), create on 404.
 * The replace carries no resourceVersion, so it is an unconditional update of an object we own.
 */
export async function upsert<T extends KubeObject>(
  cluster: ClusterPort,
  type: ResourceType,
  namespace: string,
  desired: T,
): Promise<T> {
  try {
    return await cluster.replace(type, namespace, desired);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return cluster.create(type, namespace, desired);
  }
}

/** Runs `steps` concurrently; waits for all, then throws the first failure (so none is left running). */
export async function settleAll<T extends readonly unknown[]>(steps: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Every Workflow of a pipeline: the runs we started and those its CronWorkflow spawned. */
export function listPipelineRuns(deps: OperationDeps, pipeline: Pipeline): Promise<KubeObject[]> {
  return listAll(deps.cluster, RESOURCES.workflow, deps.settings.namespace, {
    labelSelector: pipelineSelector(pipeline.fullyQualifiedName),
  });
}

export function creationTime(object: KubeObject): number {
  const parsed = Date.parse(object.metadata.creationTimestamp ?? '');
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** Newest first, by creation time, then by name for a stable order. */
export function newestFirst<T extends KubeObject>(objects: T[]): T[] {
  return [...objects].sort(
    (a, b) =>
      creationTime(b) - creationTime(a) || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''),
  );
}

export function findRun(runs: KubeObject[], runId: string): KubeObject | undefined {
  return runs.find((run) => workflowRunId(run) === runId || run.metadata.name === runId);
}

export function runNotFound(pipeline: Pipeline, runId: string, settings: RunnerSettings): NotFoundError {
  const days = Math.round(settings.ttlSecondsAfterCompletion / 86400);
  return new NotFoundError(
    `Run ${runId} of pipeline ${pipeline.fullyQualifiedName} was not found: it never ran here, or it finished ` +
      `more than ${days} day(s) ago and its Workflow was deleted. Check the run id, or omit it for the latest run.`,
  );
}

/** Phases in which a run may still be stopped. */
export function isActive(workflow: KubeObject): boolean {
  const phase = (workflow.status as { phase?: string } | undefined)?.phase ?? '';
  return phase === '' || phase === 'Pending' || phase === 'Running';
}

/** Wraps a rollback failure so the caller learns both what failed and what may be left behind. */
export function rollbackFailed(what: string, original: unknown, rollback: unknown): RunnerError {
  const code = original instanceof RunnerError ? original.code : 'internal';
  const first = original instanceof Error ? original.message : String(original);
  const second = rollback instanceof Error ? rollback.message : String(rollback);
  return new RunnerError(
    code,
    `${first} Rolling back ${what} also failed (${second}); the pipeline may be half-deployed: deploy it again.`,
    { cause: original },
  );
}
