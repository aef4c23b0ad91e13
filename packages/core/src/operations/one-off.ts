// One-off Workflows: automations (test connection and friends) and applications. Each gets its own config
// Secret, then owned by the Workflow (owner reference) so Kubernetes deletes it with the Workflow: no orphan.
// Two sequential round trips: the Secret and the Workflow are created together, then the owner reference
// (which needs the Workflow's uid) is patched on. The Secret is never sent after the Workflow: the pod reads
// it only once Argo has created the pod and its init container has run, far longer than one API call. If
// any step fails, what was created is deleted again and the error reported (the run did not happen).
import type { OperationPayload, OperationResult } from '@hybrid-runner/protocol';
import {
  ARGO_API_VERSION,
  buildApplicationWorkflow,
  buildAutomationWorkflow,
  buildConfigSecret,
  renderApplicationConfig,
  renderAutomationConfig,
  type WorkflowManifest,
} from '../manifests.ts';
import { ClusterUnavailableError } from '../errors.ts';
import type { ObjectIdentity } from '../names.ts';
import { RESOURCES } from '../ports.ts';
import { rollbackFailed, verifyPayloadSecrets, type OperationDeps } from './context.ts';

async function startOneOff(
  deps: OperationDeps,
  workflow: WorkflowManifest,
  config: string,
  identity: ObjectIdentity,
): Promise<{ code: 200; runId: string; workflowName: string }> {
  const { cluster, settings } = deps;
  const namespace = settings.namespace;
  const name = workflow.metadata.name;
  const secret = buildConfigSecret({ name, config, settings, identity });
  const [secretCreated, workflowCreated] = await Promise.allSettled([
    cluster.create(RESOURCES.secret, namespace, secret),
    cluster.create(RESOURCES.workflow, namespace, workflow),
  ]);
  try {
    if (secretCreated.status === 'rejected') throw secretCreated.reason;
    if (workflowCreated.status === 'rejected') throw workflowCreated.reason;
    const uid = workflowCreated.value.metadata.uid;
    if (!uid) throw new Error(`the API server returned Workflow ${name} without a uid`);
    await cluster.mergePatch(RESOURCES.secret, namespace, name, {
      metadata: { ownerReferences: [{ apiVersion: ARGO_API_VERSION, kind: 'Workflow', name, uid }] },
    });
  } catch (error) {
    // A create that failed for want of an answer may still have applied: delete by name too (a 404 is fine).
    // A definite refusal (invalid, forbidden, a name taken by someone else) created nothing of ours.
    const mayExist = (outcome: PromiseSettledResult<unknown>) =>
      outcome.status === 'fulfilled' || outcome.reason instanceof ClusterUnavailableError;
    const cleanup = await Promise.allSettled([
      ...(mayExist(secretCreated) ? [cluster.delete(RESOURCES.secret, namespace, name)] : []),
      ...(mayExist(workflowCreated)
        ? [cluster.delete(RESOURCES.workflow, namespace, name, { propagationPolicy: 'Background' })]
        : []),
    ]);
    const failed = cleanup.find((outcome) => outcome.status === 'rejected');
    if (failed) throw rollbackFailed(`one-off run ${name}`, error, failed.reason);
    throw error;
  }
  return { code: 200, runId: identity.runId as string, workflowName: name };
}

/** runAutomationsWorkflow: checks every `secret:` reference (prefix, then existence), then starts the run. */
export async function runAutomationsWorkflow(
  deps: OperationDeps,
  payload: OperationPayload<'runAutomationsWorkflow'>,
): Promise<OperationResult<'runAutomationsWorkflow'>> {
  const { settings } = deps;
  const [, botToken] = await Promise.all([
    verifyPayloadSecrets(deps, payload.workflow, 'payload.workflow'),
    deps.botToken(),
  ]);
  const runId = deps.ids.runId();
  const workflow = buildAutomationWorkflow({ workflow: payload.workflow, settings, runId });
  const config = renderAutomationConfig(payload.workflow, { settings, botToken });
  return startOneOff(deps, workflow, config, {
    kind: 'automation',
    agentId: settings.agentId,
    runId,
    subject: payload.workflow.name,
    pipelineType: payload.workflow.workflowType,
  });
}

/** runApplicationFlow: same checks, then the application's one-off run. */
export async function runApplicationFlow(
  deps: OperationDeps,
  payload: OperationPayload<'runApplicationFlow'>,
): Promise<OperationResult<'runApplicationFlow'>> {
  const { settings } = deps;
  const { application } = payload;
  const [, botToken] = await Promise.all([
    verifyPayloadSecrets(deps, application, 'payload.application'),
    deps.botToken(),
  ]);
  const runId = deps.ids.runId();
  const workflow = buildApplicationWorkflow({ application, settings, runId });
  const config = renderApplicationConfig(application, { settings, botToken });
  const fqn = application.ingestionPipelineFQN;
  return startOneOff(deps, workflow, config, {
    kind: 'application',
    agentId: settings.agentId,
    runId,
    subject: application.name,
    pipelineType: 'application',
    ...(typeof fqn === 'string' ? { fqn } : {}),
  });
}
