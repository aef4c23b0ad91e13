// Workflows: a pipeline's run now (`runPipeline`) and one-off runs of automations and applications.
import type { Application, AutomationWorkflow, Pipeline } from '@hybrid-runner/protocol';
import {
  objectAnnotations,
  objectLabels,
  oneOffWorkflowName,
  pipelineConfigSecretName,
  runWorkflowName,
  type ObjectIdentity,
} from '../names.ts';
import type { RunnerSettings } from '../settings.ts';
import { ARGO_API_VERSION, type WorkflowManifest, type WorkflowSpec } from './kinds.ts';
import { workflowSpec } from './workflow-spec.ts';

/** Who a pipeline's objects belong to (its labels and annotations); with `runId` for one run's objects. */
export function ingestionIdentity(
  pipeline: Pipeline,
  settings: RunnerSettings,
  runId?: string,
): ObjectIdentity {
  const identity: ObjectIdentity = {
    kind: 'ingestion',
    agentId: settings.agentId,
    fqn: pipeline.fullyQualifiedName,
    pipelineType: pipeline.pipelineType,
  };
  if (runId !== undefined) identity.runId = runId;
  return identity;
}

function workflowManifest(
  name: string,
  settings: RunnerSettings,
  identity: ObjectIdentity,
  spec: WorkflowSpec,
): WorkflowManifest {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'Workflow',
    metadata: {
      name,
      namespace: settings.namespace,
      labels: objectLabels(identity),
      annotations: objectAnnotations(identity),
    },
    spec,
  };
}

export interface BuildRunWorkflowOptions {
  pipeline: Pipeline;
  settings: RunnerSettings;
  runId: string;
  /** Secret holding this run's config; defaults to the pipeline's deployed config Secret. */
  configSecretName?: string;
}

/** The Workflow that runs a pipeline now (`runPipeline`). Name: runWorkflowName(fqn, runId). */
export function buildRunWorkflow(options: BuildRunWorkflowOptions): WorkflowManifest {
  const { pipeline, settings, runId } = options;
  const identity = ingestionIdentity(pipeline, settings, runId);
  const spec = workflowSpec({
    kind: 'ingestion',
    settings,
    identity,
    configSecretName: options.configSecretName ?? pipelineConfigSecretName(pipeline.fullyQualifiedName),
    pipelineRunId: runId,
    pipelineType: pipeline.pipelineType,
  });
  return workflowManifest(runWorkflowName(pipeline.fullyQualifiedName, runId), settings, identity, spec);
}

export interface BuildAutomationWorkflowOptions {
  workflow: AutomationWorkflow;
  settings: RunnerSettings;
  runId: string;
  /** Defaults to the Workflow's own name (one Secret per one-off run). */
  configSecretName?: string;
}

/**
 * A one-off run of an automation or application, named after its subject and run id. `labels` adds to its
 * identity; `envPipelineType` is the `pipelineType` env the pod gets (only the applications runner reads it).
 */
function oneOffWorkflow(
  kind: 'automation' | 'application',
  subject: string,
  options: { settings: RunnerSettings; runId: string; configSecretName?: string },
  labels: Pick<ObjectIdentity, 'pipelineType' | 'fqn'>,
  envPipelineType?: string,
): WorkflowManifest {
  const { settings, runId } = options;
  const name = oneOffWorkflowName(kind, subject, runId);
  const identity: ObjectIdentity = { kind, agentId: settings.agentId, runId, subject, ...labels };
  const spec = workflowSpec({
    kind,
    settings,
    identity,
    configSecretName: options.configSecretName ?? name,
    pipelineRunId: runId,
    ...(envPipelineType !== undefined ? { pipelineType: envPipelineType } : {}),
  });
  return workflowManifest(name, settings, identity, spec);
}

/** One-off Workflow for an automation such as TEST_CONNECTION (`python run_automation.py`). */
export function buildAutomationWorkflow(options: BuildAutomationWorkflowOptions): WorkflowManifest {
  const { workflow } = options;
  return oneOffWorkflow(
    'automation',
    workflow.name,
    options,
    typeof workflow.workflowType === 'string' ? { pipelineType: workflow.workflowType } : {},
  );
}

export interface BuildApplicationWorkflowOptions {
  application: Application;
  settings: RunnerSettings;
  runId: string;
  /** Defaults to the Workflow's own name (one Secret per one-off run). */
  configSecretName?: string;
}

/** One-off Workflow that runs an application (`python -m metadata.applications.runner`). */
export function buildApplicationWorkflow(options: BuildApplicationWorkflowOptions): WorkflowManifest {
  const { application } = options;
  const fqn = application.ingestionPipelineFQN;
  return oneOffWorkflow(
    'application',
    application.name,
    options,
    { pipelineType: 'application', ...(typeof fqn === 'string' ? { fqn } : {}) },
    'application',
  );
}
