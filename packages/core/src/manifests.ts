// Pipeline, automation and application requests → Argo Workflow / CronWorkflow manifests and the
// Secret holding the workflow config. Follows the published runner's pod contract
// (../shared/reference/hybrid-runner-facts.md): container `main`, `python main.py` and friends,
// env `config` / `pipelineType` / `pipelineRunId`, an `exit_handler.py` onExit step.
// The bot JWT lives only in the Secret; Workflow specs reference it by name (secretKeyRef).
import type { Application, AutomationWorkflow, Pipeline } from '@hybrid-runner/protocol';
import { parse as parseYaml } from 'yaml';
import { BadRequestError, RunnerError } from './errors.ts';
import {
  TEMPLATES,
  LABELS,
  objectAnnotations,
  objectLabels,
  oneOffWorkflowName,
  pipelineConfigSecretName,
  pipelineResourceName,
  runWorkflowName,
  type ObjectIdentity,
  type WorkloadKind,
} from './names.ts';
import type { KubeObject, ObjectMeta } from './ports.ts';
import { toCronSchedule } from './schedules.ts';
import type { EnvVar, ResourceRequirements, RunnerSettings } from './settings.ts';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
/** Key of the workflow config inside the config Secret. */
export const CONFIG_SECRET_KEY = 'config';
/** The ingestion image's WORKDIR (`WORKDIR ingestion/` from `/`); absolute because Kubernetes resolves it as given. */
export const INGESTION_WORKING_DIR = '/ingestion';

export const COMMANDS = {
  ingestion: ['python', 'main.py'],
  automation: ['python', 'run_automation.py'],
  application: ['python', '-m', 'metadata.applications.runner'],
  exitHandler: ['python', 'exit_handler.py'],
} as const;

/** CronWorkflow policy: one run at a time, catch a missed tick for 5 minutes, keep a short history. */
export const CRON_POLICY = {
  concurrencyPolicy: 'Forbid',
  startingDeadlineSeconds: 300,
  successfulJobsHistoryLimit: 10,
  failedJobsHistoryLimit: 10,
} as const;

type Json = Record<string, unknown>;

export interface ContainerSpec extends Json {
  name: string;
  image: string;
  command: string[];
  env: Array<{ name: string; value?: string; valueFrom?: Json }>;
}

export interface WorkflowSpec extends Json {
  entrypoint: string;
  templates: Array<Json & { name: string }>;
  serviceAccountName: string;
  podMetadata: { labels: Record<string, string>; annotations: Record<string, string> };
}

export interface WorkflowManifest extends KubeObject {
  kind: 'Workflow';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: WorkflowSpec;
}

export interface CronWorkflowManifest extends KubeObject {
  kind: 'CronWorkflow';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: Json & {
    schedules: string[];
    timezone?: string;
    suspend: boolean;
    concurrencyPolicy: string;
    workflowMetadata: { labels: Record<string, string>; annotations: Record<string, string> };
    workflowSpec: WorkflowSpec;
  };
}

export interface SecretManifest extends KubeObject {
  kind: 'Secret';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  type: 'Opaque';
  /** Base64 values, as the API server stores and returns them. */
  data: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------
// Workflow config (the `config` env of the pod, stored in the Secret)

export interface ServerConnectionOptions {
  settings: RunnerSettings;
  /** The ingestion bot's JWT: written into the config Secret only. */
  botToken: string;
}

export interface RenderWorkflowConfigOptions extends ServerConnectionOptions {
  pipeline: Pipeline;
  /** Defaults to the config's own value, else false. */
  enableStreamableLogs?: boolean;
  /** The IngestionRunner entity name; defaults to the runner's agent id. */
  ingestionRunnerName?: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a workflow config given as an object, a JSON string or a YAML string. */
export function parseWorkflowConfig(workflowConfig: unknown, field = 'payload.workflowConfig'): Json {
  let parsed: unknown = workflowConfig;
  if (typeof workflowConfig === 'string') {
    try {
      parsed = parseYaml(workflowConfig); // YAML 1.2 is a superset of JSON
    } catch (error) {
      // The parser's message quotes the offending text, which may hold a secret: keep only the position.
      throw new BadRequestError(
        `${field} is neither valid JSON nor valid YAML${parseErrorPosition(error)}: send the config as an object.`,
      );
    }
  }
  if (!isObject(parsed)) {
    throw new BadRequestError(
      `${field} must be an object (or a JSON/YAML string of one) with source, sink and workflowConfig.`,
    );
  }
  return structuredClone(parsed);
}

/**
 * Where a YAML or JSON parse error is, as ` (line 3, column 7: CODE)` (or `''`), never the parser's own
 * message: both parsers quote the offending source text there, and a config or values file holds secrets
 * (the bot JWT, ECR keys, connection passwords). Every place that reports a parse error uses this.
 */
export function parseErrorPosition(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const { linePos, code } = error as { linePos?: Array<{ line: number; col: number }>; code?: unknown };
  const position = linePos?.[0];
  if (position) {
    const kind = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `: ${code}` : '';
    return ` (line ${position.line}, column ${position.col}${kind})`;
  }
  // JSON.parse: V8 may end its message with the position; only those numbers, read from the very end.
  const json = /JSON at position (\d+)(?: \(line (\d+) column (\d+)\))?$/.exec(error.message);
  if (!json) return '';
  return json[2] ? ` (line ${json[2]}, column ${json[3]})` : ` (at character ${json[1]})`;
}

/** Characters PyYAML will not read raw (C1 controls, U+FFFE/U+FFFF) or folds (NEL, U+2028/U+2029). */
const PYYAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g;

function quote(text: string): string {
  return JSON.stringify(text).replace(
    PYYAML_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** YAML 1.1 floats need a dot and a signed exponent (`1.0e+21`); JSON accepts that form too. */
function number(value: number): string {
  if (!Number.isFinite(value)) return 'null'; // as JSON.stringify does
  const text = String(value);
  const match = /^(-?\d+)(\.\d+)?e([+-]?)(\d+)$/.exec(text);
  if (!match) return text;
  return `${match[1]}${match[2] ?? '.0'}e${match[3] || '+'}${match[4]}`;
}

function podJson(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'object') return undefined; // undefined, functions, symbols: left out as in JSON
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return podJson(json.call(value));
  if (Array.isArray(value)) return `[${value.map((item) => podJson(item) ?? 'null').join(',')}]`;
  const members: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    const text = podJson(member);
    if (text !== undefined) members.push(`${quote(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * Config text for the pod's `config` variable. The ingestion code reads it with PyYAML's `safe_load`
 * (YAML 1.1), which turns plain `yes`/`on`/dates into booleans and dates, refuses some plain scalars,
 * folds some characters and reads `1e-7` as a string. So we write JSON (JSON is YAML) with every string
 * quoted, those characters escaped and exponents in the YAML 1.1 float form: text that JSON.parse and
 * yaml.safe_load read to the same value.
 */
export function podConfigText(config: Record<string, unknown>): string {
  return podJson(config) ?? '{}';
}

/** `https://<serverHost>/api` (http when secure protocols are off). */
export function serverApiUrl(settings: RunnerSettings): string {
  return `${settings.useSecureProtocols ? 'https' : 'http'}://${settings.serverHost}/api`;
}

/** OpenMetadata's secretsManagerProvider / secretsManagerLoader for the runner's secrets manager. */
export function secretsManagerConfig(settings: RunnerSettings): {
  secretsManagerProvider: string;
  secretsManagerLoader: string;
} {
  // Loader `env`: the ingestion code reads the manager's client settings from the pod's environment
  // (AWS_DEFAULT_REGION for AWS; KUBERNETES_NAMESPACE / KUBERNETES_IN_CLUSTER for Kubernetes), and
  // credentials come from the default chain (IRSA / Pod Identity) or the in-cluster service account.
  return settings.secretsManager.provider === 'managed-aws'
    ? { secretsManagerProvider: 'aws', secretsManagerLoader: 'env' }
    : { secretsManagerProvider: 'kubernetes', secretsManagerLoader: 'env' };
}

/** Fills an OpenMetadata server connection: host, auth, bot token where missing; secrets manager always. */
function completeServerConnection(connection: unknown, options: ServerConnectionOptions): Json {
  const server: Json = isObject(connection) ? { ...connection } : {};
  server.hostPort ??= serverApiUrl(options.settings);
  server.authProvider ??= 'openmetadata';
  const security: Json = isObject(server.securityConfig) ? { ...server.securityConfig } : {};
  if (typeof security.jwtToken !== 'string' || security.jwtToken === '') security.jwtToken = options.botToken;
  server.securityConfig = security;
  Object.assign(server, secretsManagerConfig(options.settings));
  return server;
}

/**
 * The ingestion workflow config as the pod's `config` env expects it (podConfigText): the given config with
 * the server connection completed (bot token where it has none), secrets manager settings from the
 * runner, `ingestionPipelineFQN`, `enableStreamableLogs` and `ingestionRunnerName`.
 */
export function renderWorkflowConfig(workflowConfig: unknown, options: RenderWorkflowConfigOptions): string {
  const config = parseWorkflowConfig(workflowConfig);
  const workflow: Json = isObject(config.workflowConfig) ? { ...config.workflowConfig } : {};
  workflow.openMetadataServerConfig = completeServerConnection(workflow.openMetadataServerConfig, options);
  config.workflowConfig = workflow;
  config.ingestionPipelineFQN = options.pipeline.fullyQualifiedName;
  config.enableStreamableLogs =
    options.enableStreamableLogs ??
    (typeof config.enableStreamableLogs === 'boolean' ? config.enableStreamableLogs : false);
  config.ingestionRunnerName = options.ingestionRunnerName ?? options.settings.agentId;
  return podConfigText(config);
}

/** The automation workflow JSON for `run_automation.py`, with `openMetadataServerConnection` completed. */
export function renderAutomationConfig(
  workflow: AutomationWorkflow,
  options: ServerConnectionOptions,
): string {
  const config = parseWorkflowConfig(workflow, 'payload.workflow');
  config.openMetadataServerConnection = completeServerConnection(
    config.openMetadataServerConnection,
    options,
  );
  return podConfigText(config);
}

/** The application config JSON for the applications runner, with its server connection completed. */
export function renderApplicationConfig(application: Application, options: ServerConnectionOptions): string {
  const config = parseWorkflowConfig(application, 'payload.application');
  const workflow: Json = isObject(config.workflowConfig) ? { ...config.workflowConfig } : {};
  workflow.openMetadataServerConfig = completeServerConnection(workflow.openMetadataServerConfig, options);
  config.workflowConfig = workflow;
  config.ingestionRunnerName ??= options.settings.agentId;
  return podConfigText(config);
}

// ---------------------------------------------------------------------------------------------------
// Secret

export interface BuildConfigSecretOptions {
  name: string;
  /** Rendered config text (renderWorkflowConfig / renderAutomationConfig / renderApplicationConfig). */
  config: string;
  settings: RunnerSettings;
  identity: ObjectIdentity;
  /** Makes the Secret go away with its Workflow (one-off runs); set once the Workflow's uid is known. */
  owner?: { name: string; uid: string; kind?: 'Workflow' | 'CronWorkflow' };
}

export function buildConfigSecret(options: BuildConfigSecretOptions): SecretManifest {
  const metadata: SecretManifest['metadata'] = {
    name: options.name,
    namespace: options.settings.namespace,
    labels: objectLabels(options.identity),
    annotations: objectAnnotations(options.identity),
  };
  if (options.owner) {
    metadata.ownerReferences = [
      {
        apiVersion: ARGO_API_VERSION,
        kind: options.owner.kind ?? 'Workflow',
        name: options.owner.name,
        uid: options.owner.uid,
      },
    ];
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'Opaque',
    data: { [CONFIG_SECRET_KEY]: Buffer.from(options.config, 'utf8').toString('base64') },
  };
}

// ---------------------------------------------------------------------------------------------------
// Merging user-supplied container and workflow params

/**
 * Deep merge for Kubernetes-shaped objects: objects merge key by key, lists of named items (env,
 * volumeMounts, ports) merge by `name` with the override winning, other lists are appended
 * (tolerations), scalars are replaced.
 */
export function mergeKubernetesObjects<T extends Json>(base: T, override: Json | undefined): T {
  if (!override) return base;
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    if (isObject(current) && isObject(value)) result[key] = mergeKubernetesObjects(current, value);
    else if (Array.isArray(current) && Array.isArray(value)) result[key] = mergeLists(current, value);
    else if (value !== undefined) result[key] = structuredClone(value);
  }
  return result as T;
}

function isNamed(item: unknown): item is Json & { name: string } {
  return isObject(item) && typeof item.name === 'string';
}

function mergeLists(base: unknown[], override: unknown[]): unknown[] {
  if (!base.every(isNamed) || !override.every(isNamed)) return [...base, ...structuredClone(override)];
  const merged = [...base];
  for (const item of override) {
    const index = merged.findIndex((existing) => (existing as { name: string }).name === item.name);
    if (index >= 0) merged[index] = structuredClone(item);
    else merged.push(structuredClone(item));
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------------
// Workflow spec (shared by run Workflows and CronWorkflows, so both run the same pods)

interface SpecInput {
  kind: WorkloadKind;
  settings: RunnerSettings;
  identity: ObjectIdentity;
  configSecretName: string;
  /** Literal run id, or an Argo expression such as `{{workflow.uid}}` for scheduled runs. */
  pipelineRunId: string;
  pipelineType?: string;
}

function resourcesFor(kind: WorkloadKind, settings: RunnerSettings): ResourceRequirements {
  return structuredClone(kind === 'automation' ? settings.automationResources : settings.resources);
}

function containerEnv(input: SpecInput): ContainerSpec['env'] {
  const { settings } = input;
  const env: ContainerSpec['env'] = [
    { name: 'config', valueFrom: { secretKeyRef: { name: input.configSecretName, key: CONFIG_SECRET_KEY } } },
  ];
  if (input.pipelineType !== undefined) env.push({ name: 'pipelineType', value: input.pipelineType });
  env.push({ name: 'pipelineRunId', value: input.pipelineRunId });
  if (settings.secretsManager.provider === 'managed-aws') {
    // Pod Identity injects no region, and the ingestion code's `env` loader reads this one.
    const region = settings.secretsManager.region;
    if (!region) {
      throw new RunnerError(
        'internal',
        'The runner is configured with secretsManager.provider "managed-aws" but no secretsManager.region: ' +
          'set the region of the Secrets Manager that holds the secret: references and redeploy.',
      );
    }
    env.push({ name: 'AWS_DEFAULT_REGION', value: region });
  } else {
    env.push({ name: 'KUBERNETES_NAMESPACE', value: settings.namespace });
    env.push({ name: 'KUBERNETES_IN_CLUSTER', value: 'true' });
  }
  return env;
}

/**
 * The runner's own variables first and untouchable (a user `pipelineRunId` must not spoof the run), then
 * the user's (extraEnv, then customContainerParams.env), one per name with the last one winning: the API
 * server rejects a container with two variables of the same name.
 */
function withUserEnv(own: ContainerSpec['env'], user: unknown[]): ContainerSpec['env'] {
  const env = [...own];
  for (const variable of user) {
    if (!isNamed(variable) || own.some((o) => o.name === variable.name)) continue;
    const index = env.findIndex((e) => e.name === variable.name);
    const copy = structuredClone(variable) as ContainerSpec['env'][number];
    if (index >= 0) env[index] = copy;
    else env.push(copy);
  }
  return env;
}

function container(
  input: SpecInput,
  command: readonly string[],
  templateEnv: ContainerSpec['env'] = [],
): ContainerSpec {
  const { settings } = input;
  const { env: customEnv, ...customParams } = settings.customContainerParams ?? {};
  const userEnv: unknown[] = [
    ...settings.extraEnv.map((e: EnvVar) => ({ name: e.name, value: e.value })),
    ...(Array.isArray(customEnv) ? customEnv : []),
  ];
  const base: ContainerSpec = {
    name: 'main',
    image: `${settings.image.repository}:${settings.image.tag}`,
    command: [...command],
    workingDir: INGESTION_WORKING_DIR,
    env: withUserEnv([...containerEnv(input), ...templateEnv], userEnv),
    resources: resourcesFor(input.kind, settings),
  };
  if (settings.image.pullPolicy) base.imagePullPolicy = settings.image.pullPolicy;
  return mergeKubernetesObjects(base, customParams);
}

function workflowSpec(input: SpecInput): WorkflowSpec {
  const { settings } = input;
  const podLabels = objectLabels(input.identity);
  const mainCommand = COMMANDS[input.kind];
  const templates: WorkflowSpec['templates'] = [
    {
      name: TEMPLATES.main,
      metadata: { labels: { [LABELS.template]: TEMPLATES.main } },
      container: container(input, mainCommand),
    },
  ];
  const spec: WorkflowSpec = {
    entrypoint: TEMPLATES.main,
    templates,
    serviceAccountName: settings.serviceAccountName,
    podMetadata: { labels: podLabels, annotations: objectAnnotations(input.identity) },
    ttlStrategy: { secondsAfterCompletion: settings.ttlSecondsAfterCompletion },
  };
  // The exit handler reports the final state of ingestion pipelines to Collate (it parses the config as
  // an ingestion workflow config, so it is not run for automations or applications).
  if (input.kind === 'ingestion') {
    spec.onExit = TEMPLATES.exitHandler;
    templates.push({
      name: TEMPLATES.exitHandler,
      metadata: { labels: { [LABELS.template]: TEMPLATES.exitHandler } },
      container: container(input, COMMANDS.exitHandler, [
        { name: 'pipelineStatus', value: '{{workflow.status}}' },
      ]),
    });
  }
  if (settings.imagePullSecrets.length > 0)
    spec.imagePullSecrets = settings.imagePullSecrets.map((name) => ({ name }));
  if (settings.tolerations.length > 0) spec.tolerations = structuredClone(settings.tolerations);
  if (Object.keys(settings.nodeSelector).length > 0) spec.nodeSelector = { ...settings.nodeSelector };
  if (settings.affinity) spec.affinity = structuredClone(settings.affinity);
  if (settings.podGC) spec.podGC = { ...settings.podGC };
  if (settings.activeDeadlineSeconds !== undefined)
    spec.activeDeadlineSeconds = settings.activeDeadlineSeconds;
  return mergeKubernetesObjects(spec, settings.workflowParams);
}

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

// ---------------------------------------------------------------------------------------------------
// Public builders

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
