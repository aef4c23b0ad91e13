// The `main` container of every template: image, command, working directory, the runner's env (config
// Secret, run id, secrets manager) with the user's env after it, resources, and customContainerParams.
import { RunnerError } from '../errors.ts';
import type { ObjectIdentity, WorkloadKind } from '../names.ts';
import type { EnvVar, RunnerSettings } from '../settings.ts';
import { CONFIG_SECRET_KEY } from './config-secret.ts';
import type { ContainerSpec } from './kinds.ts';
import { isNamed, mergeKubernetesObjects } from './merge.ts';
import { resourcesFor } from './pod-placement.ts';

/** The ingestion image's WORKDIR (`WORKDIR ingestion/` from `/`); absolute because Kubernetes resolves it as given. */
export const INGESTION_WORKING_DIR = '/ingestion';

export const COMMANDS = {
  ingestion: ['python', 'main.py'],
  automation: ['python', 'run_automation.py'],
  application: ['python', '-m', 'metadata.applications.runner'],
  exitHandler: ['python', 'exit_handler.py'],
} as const;

/** What a template's pods are built from. */
export interface SpecInput {
  kind: WorkloadKind;
  settings: RunnerSettings;
  identity: ObjectIdentity;
  configSecretName: string;
  /** Literal run id, or an Argo expression such as `{{workflow.uid}}` for scheduled runs. */
  pipelineRunId: string;
  pipelineType?: string;
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

export function container(
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
