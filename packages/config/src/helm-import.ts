// Converts a values file of the published chart (hybrid-ingestion-runner 1.13.3) into a stage
// configuration. Every key of the values file is accounted for: mapped to a field, reported as a secret
// (never copied; the output says where to store it instead), or listed as unsupported with the reason.
import { parse as parseYaml } from 'yaml';
import { parseErrorPosition } from '@hybrid-runner/core';
import { StageConfigError, formatIssues } from './errors.ts';
import {
  BRIDGE_MODES,
  COLLATE_REGISTRY,
  DEFAULT_AUTH_TOKEN_SECRET,
  DEFAULT_ECR_KEYS_SECRET,
  IRSA_ROLE_ANNOTATION,
  defaultOutboundUrl,
  stageConfigSchema,
} from './schema.ts';
import type { BridgeMode, StageConfigInput } from './schema.ts';

export interface UnsupportedValue {
  key: string;
  reason: string;
}

export interface SecretFound {
  key: string;
  howToStore: string;
}

export interface HelmImportResult {
  /**
   * Stage configuration in the input form: only what the values file set. `cluster` (and `serverHost` when
   * the values lack it) must still be filled in; validation says so until they are.
   */
  config: StageConfigInput;
  unsupported: UnsupportedValue[];
  secretsFound: SecretFound[];
}

/** The chart's ECR helper schedule; an unchanged default becomes ours (every 4 hours, see schema). */
const CHART_ECR_SCHEDULE = '0 0/6 * * *';

const NO_RUNNER_POD_OF: Record<BridgeMode, string> = {
  inbound:
    'the runner pod is replaced by Lambda functions behind API Gateway: nothing of ours runs in the cluster',
  outbound:
    'the runner pod is replaced by Lambda functions (a keeper that dials out to Collate as the pod did): nothing of ours runs in the cluster',
};

/** Why each value of the chart has no equivalent; the wording depends on which side opens the bridge. */
function reasonsFor(mode: BridgeMode): Record<string, string> {
  const NO_RUNNER_POD = NO_RUNNER_POD_OF[mode];
  return {
    replicaCount: NO_RUNNER_POD,
    image: `${NO_RUNNER_POD} (the functions are deployed by sst deploy; the ingestion image is config.ingestionPods.image)`,
    imagePullSecrets: `${NO_RUNNER_POD}; pull secrets of the ingestion pods are ingestionPods.imagePullSecrets`,
    extraEnvs: `${NO_RUNNER_POD}; the functions' environment is set by the stack (ingestion pod env: ingestionPods.extraEnv)`,
    envFrom: NO_RUNNER_POD,
    commonLabels:
      'the stack labels the few objects it makes itself; ingestion objects carry the runner labels',
    deploymentAnnotations: NO_RUNNER_POD,
    podAnnotations: `${NO_RUNNER_POD}; annotate ingestion pods through ingestionPods.customConfig.workflowParams.podMetadata`,
    service:
      mode === 'outbound'
        ? 'the keeper dials out to Collate: there is no Service and no endpoint for Collate to connect to'
        : 'Collate connects to the API Gateway WebSocket endpoint (stack output), not to a Service',
    serviceAccount:
      "the runner pod's service account is replaced by the functions' IAM role, mapped by an EKS access entry",
    openshift: 'no runner pod and no registry helper pod run in the cluster, so no security context applies',
    podDisruptionBudget: NO_RUNNER_POD,
    serviceMonitor: 'metrics go to CloudWatch (EMF) instead of Prometheus',
    prometheusRules: 'alarms are CloudWatch alarms made by the stack; e-mail recipients are alarms.emails',
    grafanaDashboard: 'the stack makes a CloudWatch dashboard instead of a Grafana one',
    nodeSelector: `${NO_RUNNER_POD}; ingestion pod placement is ingestionPods.nodeSelector`,
    tolerations: `${NO_RUNNER_POD}; ingestion pod tolerations are ingestionPods.tolerations`,
    affinity: `${NO_RUNNER_POD}; ingestion pod affinity is ingestionPods.affinity`,
    'config.authTokenSecret':
      'a Kubernetes Secret the functions cannot read: store the token with `npx sst secret set` (see secretsFound) or give authToken.secretArn',
    'config.reconnectDelaySeconds':
      mode === 'outbound'
        ? 'the keeper reconnects with exponential backoff and jitter (from 1 s, doubling up to 30 s), not after a fixed delay'
        : 'Collate holds the WebSocket connection to API Gateway; we never reconnect',
    'config.dynamicIngestionVersionEnabled':
      'the ingestion image is fixed by ingestionPods.image.tag; dynamic version resolution is not public behaviour',
    'config.ingestionPods.disableVersionValidation':
      'no version validation happens: the image tag is used as given',
    'config.ingestionPods.serviceAccount.automount':
      "Argo's executor needs the service account token, so it stays mounted (Kubernetes default)",
    'config.ingestionPods.autoMountSAToken':
      "Argo's executor needs the service account token, so it stays mounted (Kubernetes default)",
    'config.ingestionPods.customerToleration':
      'its string format is not public: write the toleration in ingestionPods.tolerations',
    'config.ingestionPods.additionalPipelineConfigs':
      'its per-pipeline-type format is not public: put pod settings in ingestionPods.customConfig (workflowParams/containerParams)',
    'config.argoWorkflows.endpoint':
      'the functions drive Argo through the Kubernetes API, not the Argo server',
    'config.argoWorkflows.backOffTime':
      'the functions drive Argo through the Kubernetes API, not the Argo server',
    'config.argoWorkflows.certificatePath':
      'the functions drive Argo through the Kubernetes API, not the Argo server',
    'ecrRegistryHelper.image': 'a Lambda function replaces the registry helper CronJob: no image to choose',
    'ecrRegistryHelper.serviceAccount':
      'a Lambda function replaces the registry helper CronJob; it writes pull secrets with its own RBAC',
    'ecrRegistryHelper.resources': 'a Lambda function replaces the registry helper CronJob: no pod resources',
    'ecrRegistryHelper.collateCredentials.secretRef':
      'a Kubernetes Secret the functions cannot read: store the keys with `npx sst secret set` (see secretsFound) or give ecr.keys.secretArn',
    'argoWorkflows.namespaceOverride': 'mapped to namespaces.argo',
  };
}

type Values = Record<string, unknown>;

function isRecord(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (isRecord(value) && Object.keys(value).length === 0)
  );
}

function toNumber(key: string, value: unknown): number {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(number)) {
    throw new StageConfigError('Helm values', [
      `${key}: must be a number of seconds, got ${JSON.stringify(value)}`,
    ]);
  }
  return number;
}

/** Standard 5-field cron (the chart) to EventBridge's 6 fields; one of day-of-month/day-of-week must be `?`. */
export function cronToEventBridge(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new StageConfigError('Helm values', [
      `ecrRegistryHelper.schedule: "${expression}" is not a 5-field cron expression; set ecr.schedule by hand, e.g. "rate(4 hours)"`,
    ]);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  const weekday = dayOfWeek === '*' ? '?' : dayOfWeek;
  const monthDay = weekday !== '?' && dayOfMonth === '*' ? '?' : dayOfMonth;
  return `cron(${minute} ${hour} ${monthDay} ${month} ${weekday} *)`;
}

/**
 * Walks the values file. `visit` marks each key path as handled; what is left over is reported as
 * unsupported, so no key is ever dropped silently.
 */
export interface HelmImportOptions {
  /** The stage the file is for (in the printed secret commands). */
  stage?: string;
  /**
   * Which side opens the bridge. Absent or `inbound`: Collate connects to API Gateway (the file sets no mode).
   * `outbound`: the runner dials Collate as the published pod does (bridge.mode and bridge.outbound.url).
   */
  mode?: string;
}

/** The bridge mode an import asks for, or an error naming the choices. */
export function importMode(mode: string | undefined): BridgeMode {
  if (mode === undefined) return 'inbound';
  if (!(BRIDGE_MODES as readonly string[]).includes(mode)) {
    throw new Error(
      `--mode ${JSON.stringify(mode)} is not a bridge mode: use one of ${BRIDGE_MODES.join(', ')} (inbound: Collate connects to an API Gateway endpoint; outbound: the runner dials Collate, no endpoint of yours)`,
    );
  }
  return mode as BridgeMode;
}

export function importHelmValues(yamlText: string, options: HelmImportOptions = {}): HelmImportResult {
  const stage = options.stage ?? '<stage>';
  const mode = importMode(options.mode);
  const reasons = reasonsFor(mode);
  let values: unknown;
  try {
    values = parseYaml(yamlText);
  } catch (error) {
    throw new StageConfigError('Helm values', [
      `(root): cannot be parsed as YAML${parseErrorPosition(error)}; fix the syntax there`,
    ]);
  }
  if (values === null || values === undefined) values = {};
  if (!isRecord(values))
    throw new StageConfigError('Helm values', ['(root): must be a mapping of chart values']);

  const handled = new Set<string>();
  const unsupported: UnsupportedValue[] = [];
  const secretsFound: SecretFound[] = [];
  const get = (path: string): unknown => {
    let node: unknown = values;
    for (const segment of path.split('.')) node = isRecord(node) ? node[segment] : undefined;
    return node;
  };
  const take = (path: string): unknown => {
    handled.add(path);
    return get(path);
  };
  const markUnsupported = (path: string, reason: string) => {
    handled.add(path);
    if (get(path) !== undefined) unsupported.push({ key: path, reason });
  };

  const config: Values = {};
  const pods: Values = {};
  const ecr: Values = {};
  const argo: Values = {};

  // config.*
  const agentId = take('config.agentId');
  if (!isEmpty(agentId)) config.agentId = String(agentId);
  const serverHost = take('config.serverHost');
  if (!isEmpty(serverHost)) config.serverHost = String(serverHost);
  const secure = take('config.useSecureProtocols');
  if (secure !== undefined) config.useSecureProtocols = secure === true || secure === 'true';
  if (mode === 'outbound') {
    // The URL the published runner dials, written out so the stage file shows (and can change) it. Without a
    // serverHost it is left to the default, derived once serverHost is filled in.
    config.bridge = {
      mode,
      ...(config.serverHost
        ? {
            outbound: {
              url: defaultOutboundUrl(String(config.serverHost), config.useSecureProtocols !== false),
            },
          }
        : {}),
    };
  }

  const authToken = take('config.authToken');
  if (!isEmpty(authToken)) {
    secretsFound.push({
      key: 'config.authToken',
      howToStore: `npx sst secret set ${DEFAULT_AUTH_TOKEN_SECRET} --stage ${stage} (it prompts for the ingestion bot JWT; or store it in Secrets Manager as plain text and set authToken.secretArn)`,
    });
  }
  config.authToken = { sstSecret: DEFAULT_AUTH_TOKEN_SECRET };

  const provider = take('config.secretsManager');
  if (!isEmpty(provider)) config.secretsManager = { provider: String(provider) };

  const podValues = 'config.ingestionPods';
  const namespace = take(`${podValues}.namespace`);
  if (!isEmpty(namespace)) config.namespaces = { ingestion: String(namespace) };
  const repository = take(`${podValues}.repository`);
  const tag = take(`${podValues}.tag`);
  if (!isEmpty(repository) || !isEmpty(tag)) {
    pods.image = {
      ...(isEmpty(repository) ? {} : { repository: String(repository) }),
      ...(isEmpty(tag) ? {} : { tag: String(tag) }),
    };
  }
  const pullSecrets = take(`${podValues}.imagePullSecrets`);
  if (pullSecrets !== undefined) pods.imagePullSecrets = pullSecrets;
  const serviceAccount: Values = {};
  const saCreate = take(`${podValues}.serviceAccount.create`);
  if (saCreate !== undefined) serviceAccount.create = saCreate === true || saCreate === 'true';
  const saName = take(`${podValues}.serviceAccount.name`);
  if (!isEmpty(saName)) serviceAccount.name = String(saName);
  const annotations = take(`${podValues}.serviceAccount.annotations`);
  if (isRecord(annotations) && !isEmpty(annotations)) {
    serviceAccount.annotations = annotations;
    if (IRSA_ROLE_ANNOTATION in annotations) pods.identity = 'irsa';
  }
  if (Object.keys(serviceAccount).length > 0) pods.serviceAccount = serviceAccount;
  if (provider === 'managed-aws' && pods.identity === undefined) pods.identity = 'irsa';
  for (const field of ['resources', 'automationResources'] as const) {
    const resources = take(`${podValues}.${field}`);
    if (!isEmpty(resources)) pods[field] = resources;
  }
  const podEnv = take(`${podValues}.extraEnvs`);
  if (!isEmpty(podEnv)) pods.extraEnv = podEnv;
  const custom = take(`${podValues}.customConfig`);
  for (const part of ['enabled', 'containerParams', 'workflowParams'])
    handled.add(`${podValues}.customConfig.${part}`);
  if (isRecord(custom)) {
    if (custom.enabled === false || custom.enabled === 'false') {
      unsupported.push({
        key: `${podValues}.customConfig`,
        reason: 'disabled in the values file (enabled: false), so it is not carried over',
      });
    } else {
      const customConfig: Values = {};
      if (isRecord(custom.containerParams)) customConfig.containerParams = custom.containerParams;
      if (isRecord(custom.workflowParams)) customConfig.workflowParams = custom.workflowParams;
      pods.customConfig = customConfig;
    }
  }
  const ttl = take('config.argoWorkflows.secondsAfterCompletionTTL');
  if (!isEmpty(ttl))
    pods.ttlSecondsAfterCompletion = toNumber('config.argoWorkflows.secondsAfterCompletionTTL', ttl);
  if (Object.keys(pods).length > 0) config.ingestionPods = pods;

  // ecrRegistryHelper.*
  const ecrEnabled = take('ecrRegistryHelper.enabled');
  if (ecrEnabled !== undefined) ecr.enabled = ecrEnabled === true || ecrEnabled === 'true';
  const schedule = take('ecrRegistryHelper.schedule');
  if (!isEmpty(schedule) && String(schedule).trim() !== CHART_ECR_SCHEDULE) {
    ecr.schedule = cronToEventBridge(String(schedule));
  }
  const account = take('ecrRegistryHelper.collateCredentials.values.account');
  if (!isEmpty(account)) ecr.registry = COLLATE_REGISTRY.replace(/^\d{12}/, String(account));
  const accessKeyId = take('ecrRegistryHelper.collateCredentials.values.accessKeyId');
  const secretAccessKey = take('ecrRegistryHelper.collateCredentials.values.secretAccessKey');
  if (!isEmpty(accessKeyId) || !isEmpty(secretAccessKey)) {
    const howToStore = `npx sst secret set ${DEFAULT_ECR_KEYS_SECRET} --stage ${stage} < ecr-keys.json (a file holding {"accessKeyId":"<id>","secretAccessKey":"<key>"}, deleted afterwards; or store that JSON in Secrets Manager and set ecr.keys.secretArn)`;
    if (!isEmpty(accessKeyId)) {
      secretsFound.push({ key: 'ecrRegistryHelper.collateCredentials.values.accessKeyId', howToStore });
    }
    if (!isEmpty(secretAccessKey)) {
      secretsFound.push({ key: 'ecrRegistryHelper.collateCredentials.values.secretAccessKey', howToStore });
    }
  }
  ecr.keys = { sstSecret: DEFAULT_ECR_KEYS_SECRET };
  config.ecr = ecr;

  // Argo Workflows
  const install = take('installArgoWorkflows');
  if (install !== undefined) argo.install = install === true || install === 'true';
  const createNamespace = take('createArgoWorkflowsNamespace');
  if (createNamespace !== undefined)
    argo.createNamespace = createNamespace === true || createNamespace === 'true';
  const argoNamespace = take('argoWorkflows.namespaceOverride');
  if (!isEmpty(argoNamespace))
    config.namespaces = { ...(config.namespaces as Values), argo: String(argoNamespace) };
  const argoValues = get('argoWorkflows');
  if (isRecord(argoValues)) {
    const rest = Object.fromEntries(
      Object.entries(argoValues).filter(([key]) => key !== 'namespaceOverride'),
    );
    for (const key of Object.keys(rest)) handled.add(`argoWorkflows.${key}`);
    if (!isEmpty(rest)) argo.values = rest;
  }
  if (Object.keys(argo).length > 0) config.argo = argo;

  for (const [key, reason] of Object.entries(reasons)) {
    if (!handled.has(key)) markUnsupported(key, reason);
  }
  reportLeftovers(values, '', handled, unsupported);

  const check = stageConfigSchema.safeParse(config);
  if (!check.success) {
    const problems = formatIssues(check.error).filter(
      (line) => !line.startsWith('cluster') && !line.startsWith('serverHost: is required'),
    );
    if (problems.length > 0) throw new StageConfigError('the imported Helm values', problems);
  }
  return { config: config as StageConfigInput, unsupported, secretsFound };
}

/** Keys nobody handled: a parent already reported or handled covers its children. */
function reportLeftovers(
  node: Values,
  prefix: string,
  handled: Set<string>,
  unsupported: UnsupportedValue[],
): void {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (handled.has(path) || unsupported.some((entry) => entry.key === path)) continue;
    const hasHandledChild = [...handled].some((done) => done.startsWith(`${path}.`));
    if (isRecord(value) && hasHandledChild) {
      reportLeftovers(value, path, handled, unsupported);
    } else {
      unsupported.push({
        key: path,
        reason: 'not a value of the published chart 1.13.3, so it has no equivalent here',
      });
    }
  }
}

/** Fields the chart has no value for (helm talks to the current kube context): the user fills them in. */
export const FIELDS_TO_FILL_AFTER_IMPORT = ['cluster.name', 'cluster.region'] as const;
