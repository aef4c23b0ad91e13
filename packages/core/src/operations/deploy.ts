// deployPipeline: the pipeline's config Secret, plus its CronWorkflow when it has a schedule (suspended when
// disabled, removed when the schedule is). All or nothing: a failed write undoes what this call changed.
// Two sequential round trips: read both objects (and check secret references) concurrently, then write both
// concurrently. Unchanged objects are not written, so deploying twice converges to identical objects.
import { isDeepStrictEqual } from 'node:util';
import type { OperationPayload, OperationResult } from '@hybrid-runner/protocol';
import { ConflictError, NotFoundError } from '../errors.ts';
import { buildCronWorkflow, parseWorkflowConfig } from '../manifests.ts';
import { pipelineConfigSecretName, pipelineResourceName } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import type { ClusterPort, KubeObject, ResourceType } from '../ports.ts';
import {
  desiredContent,
  pipelineConfigSecret,
  recreatable,
  rollbackFailed,
  verifyPayloadSecrets,
  type OperationDeps,
} from './context.ts';

type Change =
  | { action: 'none' }
  | { action: 'written'; type: ResourceType; name: string; previous?: KubeObject }
  | { action: 'deleted'; type: ResourceType; previous: KubeObject };

/** Creates or replaces `desired` unless `current` already has the same content; reports what it changed. */
async function converge(
  cluster: ClusterPort,
  type: ResourceType,
  namespace: string,
  desired: KubeObject,
  current: KubeObject | undefined,
): Promise<Change> {
  const name = desired.metadata.name as string;
  if (current && isDeepStrictEqual(desiredContent(current), desiredContent(desired)))
    return { action: 'none' };
  const written: Change = { action: 'written', type, name, ...(current ? { previous: current } : {}) };
  try {
    if (current) await cluster.replace(type, namespace, desired);
    else await cluster.create(type, namespace, desired);
  } catch (error) {
    // Someone created or deleted it since we looked: write it the other way.
    if (current && error instanceof NotFoundError) await cluster.create(type, namespace, desired);
    else if (!current && error instanceof ConflictError) await cluster.replace(type, namespace, desired);
    else throw error;
  }
  return written;
}

async function undo(cluster: ClusterPort, namespace: string, change: Change): Promise<void> {
  if (change.action === 'written') {
    if (change.previous) await cluster.replace(change.type, namespace, recreatable(change.previous));
    else await cluster.delete(change.type, namespace, change.name);
  } else if (change.action === 'deleted') {
    await cluster.create(change.type, namespace, recreatable(change.previous));
  }
}

export async function deployPipeline(
  deps: OperationDeps,
  payload: OperationPayload<'deployPipeline'>,
): Promise<OperationResult<'deployPipeline'>> {
  const { cluster, settings } = deps;
  const { pipeline } = payload;
  const namespace = settings.namespace;
  const fqn = pipeline.fullyQualifiedName;
  // Everything that can be refused is refused before the cluster is touched.
  const workflowConfig = parseWorkflowConfig(payload.workflowConfig);
  const cron = buildCronWorkflow({ pipeline, settings });
  const secretName = pipelineConfigSecretName(fqn);
  const cronName = pipelineResourceName(fqn);

  // Round trip 1: what exists now (for convergence and rollback), concurrently with the reference checks.
  const [currentSecret, currentCron, , botToken] = await Promise.all([
    cluster.get(RESOURCES.secret, namespace, secretName),
    cluster.get(RESOURCES.cronWorkflow, namespace, cronName),
    verifyPayloadSecrets(deps, { pipeline, workflowConfig }, 'payload'),
    deps.botToken(),
  ]);
  const secret = pipelineConfigSecret(settings, pipeline, workflowConfig, botToken);

  // Round trip 2: both writes at once.
  const writes: Array<Promise<Change>> = [
    converge(cluster, RESOURCES.secret, namespace, secret, currentSecret),
  ];
  if (cron) writes.push(converge(cluster, RESOURCES.cronWorkflow, namespace, cron, currentCron));
  else if (currentCron) {
    writes.push(
      cluster
        .delete(RESOURCES.cronWorkflow, namespace, cronName)
        .then((): Change => ({ action: 'deleted', type: RESOURCES.cronWorkflow, previous: currentCron })),
    );
  }
  const outcomes = await Promise.allSettled(writes);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    const done = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const undone = await Promise.allSettled(done.map((change) => undo(cluster, namespace, change)));
    const undoFailure = undone.find((outcome) => outcome.status === 'rejected');
    if (undoFailure) throw rollbackFailed(`pipeline ${fqn}`, failure.reason, undoFailure.reason);
    throw failure.reason;
  }

  if (!cron) return { code: 200, platform: 'Argo', reason: 'Deployed on demand (no schedule)' };
  const zone = cron.spec.timezone ? ` (${cron.spec.timezone})` : ' (UTC)';
  const suspended = cron.spec.suspend ? '; suspended because the pipeline is disabled' : '';
  return {
    code: 200,
    platform: 'Argo',
    reason: `Scheduled ${cron.spec.schedules.join(', ')}${zone}${suspended}`,
  };
}
