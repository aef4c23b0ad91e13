// Pipeline lifecycle beyond deploy: toggling its schedule and deleting everything it has.
import type { OperationPayload, OperationResult } from '@hybrid-runner/protocol';
import { NotFoundError } from '../errors.ts';
import { pipelineConfigSecretName, pipelineResourceName } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import { listPipelineRuns, settleAll, type OperationDeps } from './context.ts';

/**
 * toggleIngestion: suspends or resumes the CronWorkflow by `pipeline.enabled` (default true) in one merge
 * patch. A pipeline without a CronWorkflow (on demand) has no schedule to toggle: that is a success.
 */
export async function toggleIngestion(
  deps: OperationDeps,
  payload: OperationPayload<'toggleIngestion'>,
): Promise<OperationResult<'toggleIngestion'>> {
  const { pipeline } = payload;
  const enabled = pipeline.enabled !== false;
  try {
    await deps.cluster.mergePatch(
      RESOURCES.cronWorkflow,
      deps.settings.namespace,
      pipelineResourceName(pipeline.fullyQualifiedName),
      { spec: { suspend: !enabled } },
    );
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return {
      code: 200,
      reason: `Pipeline ${pipeline.fullyQualifiedName} has no schedule on this runner (on demand): nothing to toggle`,
    };
  }
  return { code: 200, reason: enabled ? 'Schedule resumed' : 'Schedule suspended' };
}

/**
 * deletePipeline: its CronWorkflow, its config Secret and every run (whose pods and per-run Secrets go with
 * them through owner references). Idempotent: deleting what is already gone succeeds. Two round trips.
 */
export async function deletePipeline(
  deps: OperationDeps,
  payload: OperationPayload<'deletePipeline'>,
): Promise<OperationResult<'deletePipeline'>> {
  const { cluster, settings } = deps;
  const { pipeline } = payload;
  const namespace = settings.namespace;
  const fqn = pipeline.fullyQualifiedName;
  const [cronDeleted, secretDeleted, runs] = await settleAll([
    cluster.delete(RESOURCES.cronWorkflow, namespace, pipelineResourceName(fqn)),
    cluster.delete(RESOURCES.secret, namespace, pipelineConfigSecretName(fqn)),
    listPipelineRuns(deps, pipeline),
  ] as const);
  const runsDeleted = await settleAll(
    runs.map((run) =>
      cluster.delete(RESOURCES.workflow, namespace, run.metadata.name as string, {
        propagationPolicy: 'Background',
      }),
    ),
  );
  const parts = [
    ...(cronDeleted ? ['schedule'] : []),
    ...(secretDeleted ? ['config'] : []),
    ...(runsDeleted.some(Boolean) ? [`${runsDeleted.filter(Boolean).length} run(s)`] : []),
  ];
  return {
    code: 200,
    reason:
      parts.length > 0
        ? `Deleted ${parts.join(', ')}`
        : `Nothing to delete: pipeline ${fqn} has nothing here`,
  };
}
