// Pipeline, automation and application requests → Argo Workflow / CronWorkflow manifests and the
// Secret holding the workflow config. Follows the published runner's pod contract
// (../shared/reference/hybrid-runner-facts.md): container `main`, `python main.py` and friends,
// env `config` / `pipelineType` / `pipelineRunId`, an `exit_handler.py` onExit step.
// The bot JWT lives only in the Secret; Workflow specs reference it by name (secretKeyRef).
//
// The builders live in manifests/, one concern a file; this entry keeps the public names in one place.
export { ARGO_API_VERSION } from './manifests/kinds.ts';
export type {
  ContainerSpec,
  CronWorkflowManifest,
  SecretManifest,
  WorkflowManifest,
  WorkflowSpec,
} from './manifests/kinds.ts';
export { COMMANDS, INGESTION_WORKING_DIR } from './manifests/container.ts';
export { CONFIG_SECRET_KEY, buildConfigSecret } from './manifests/config-secret.ts';
export type { BuildConfigSecretOptions } from './manifests/config-secret.ts';
export { CRON_POLICY, buildCronWorkflow } from './manifests/cron-workflow.ts';
export type { BuildCronWorkflowOptions } from './manifests/cron-workflow.ts';
export { mergeKubernetesObjects } from './manifests/merge.ts';
export { podConfigText } from './manifests/pod-config-text.ts';
export {
  parseErrorPosition,
  parseWorkflowConfig,
  renderApplicationConfig,
  renderAutomationConfig,
  renderWorkflowConfig,
  secretsManagerConfig,
  serverApiUrl,
} from './manifests/workflow-config.ts';
export type { RenderWorkflowConfigOptions, ServerConnectionOptions } from './manifests/workflow-config.ts';
export {
  buildApplicationWorkflow,
  buildAutomationWorkflow,
  buildRunWorkflow,
  ingestionIdentity,
} from './manifests/workflows.ts';
export type {
  BuildApplicationWorkflowOptions,
  BuildAutomationWorkflowOptions,
  BuildRunWorkflowOptions,
} from './manifests/workflows.ts';
