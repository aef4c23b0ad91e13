// The CronWorkflow of a scheduled pipeline (`deployPipeline`) and its scheduling policy.
import type { Pipeline } from '@hybrid-runner/protocol';
import { objectAnnotations, objectLabels, pipelineConfigSecretName, pipelineResourceName } from '../names.ts';
import { toCronSchedule } from '../schedules.ts';
import type { RunnerSettings } from '../settings.ts';
import { ARGO_API_VERSION, type CronWorkflowManifest } from './kinds.ts';
import { workflowSpec } from './workflow-spec.ts';
import { ingestionIdentity } from './workflows.ts';

/** CronWorkflow policy: one run at a time, catch a missed tick for 5 minutes, keep a short history. */
export const CRON_POLICY = {
  concurrencyPolicy: 'Forbid',
  startingDeadlineSeconds: 300,
  successfulJobsHistoryLimit: 10,
  failedJobsHistoryLimit: 10,
} as const;

export interface BuildCronWorkflowOptions {
  pipeline: Pipeline;
  settings: RunnerSettings;
  configSecretName?: string;
}

/**
 * The CronWorkflow of a scheduled pipeline (`deployPipeline`), or `undefined` when the pipeline has no
 * schedule (on demand only). Suspended when `pipeline.enabled === false`. Its runs get the same spec as a
 * run Workflow, with `pipelineRunId` set to the spawned Workflow's uid (see workflowRunId in names.ts).
 * Throws BadRequestError for an invalid schedule or time zone.
 */
export function buildCronWorkflow(options: BuildCronWorkflowOptions): CronWorkflowManifest | undefined {
  const { pipeline, settings } = options;
  const schedule = toCronSchedule(
    pipeline.airflowConfig?.scheduleInterval,
    pipeline.airflowConfig?.pipelineTimezone,
  );
  if (!schedule) return undefined;
  const identity = ingestionIdentity(pipeline, settings);
  const workflowSpecOfRuns = workflowSpec({
    kind: 'ingestion',
    settings,
    identity,
    configSecretName: options.configSecretName ?? pipelineConfigSecretName(pipeline.fullyQualifiedName),
    pipelineRunId: '{{workflow.uid}}',
    pipelineType: pipeline.pipelineType,
  });
  const spec: CronWorkflowManifest['spec'] = {
    schedules: schedule.schedules,
    suspend: pipeline.enabled === false,
    ...CRON_POLICY,
    workflowMetadata: { labels: objectLabels(identity), annotations: objectAnnotations(identity) },
    workflowSpec: workflowSpecOfRuns,
  };
  if (schedule.timezone) spec.timezone = schedule.timezone;
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'CronWorkflow',
    metadata: {
      name: pipelineResourceName(pipeline.fullyQualifiedName),
      namespace: settings.namespace,
      labels: objectLabels(identity),
      annotations: objectAnnotations(identity),
    },
    spec,
  };
}
