// Shared wiring for the operation tests: the in-memory FakeCluster, a recording secret store, a fixed clock
// and predictable ids.
import {
  LABELS,
  RESOURCES,
  buildRunWorkflow,
  createOperations,
  defaultRunnerSettings,
} from '@hybrid-runner/core';
import type { KubeObject, LogArchive, OperationDeps, RunnerSettings, SecretStore } from '@hybrid-runner/core';
import type { Pipeline } from '@hybrid-runner/protocol';
import { parse as parseYaml } from 'yaml';
import { FakeCluster } from '../../../support/fake-cluster.ts';

export const BOT_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.bot-token-that-must-never-leak.signature';
export const PREFIX = '/collate/hybrid-ingestion-runner/';
export const NOW = new Date('2026-11-28T12:00:00Z');

export function pipeline(overrides: Partial<Pipeline> = {}): Pipeline {
  return {
    name: 'mysql_metadata',
    fullyQualifiedName: 'prod.mysql.mysql_metadata',
    pipelineType: 'metadata',
    ...overrides,
  };
}

export const WORKFLOW_CONFIG = {
  source: { type: 'mysql', serviceName: 'mysql', sourceConfig: { config: { type: 'DatabaseMetadata' } } },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
};

export interface Harness {
  cluster: FakeCluster;
  secretNames: Set<string>;
  secretLookups: string[];
  settings: RunnerSettings;
  deps: OperationDeps;
  operations: ReturnType<typeof createOperations>;
  runIds: string[];
}

export function harness(
  settings: Partial<RunnerSettings> = {},
  options: { logArchive?: LogArchive } = {},
): Harness {
  const cluster = new FakeCluster({ now: () => NOW });
  const secretNames = new Set<string>();
  const secretLookups: string[] = [];
  const secrets: SecretStore = {
    exists: async (name) => {
      secretLookups.push(name);
      return secretNames.has(name);
    },
  };
  const runIds: string[] = [];
  let counter = 0;
  const deps: OperationDeps = {
    cluster,
    secrets,
    clock: { now: () => NOW },
    ids: {
      runId: () => {
        const id = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
        runIds.push(id);
        return id;
      },
      correlationId: () => 'correlation',
    },
    settings: defaultRunnerSettings(settings),
    botToken: async () => BOT_TOKEN,
    ...(options.logArchive ? { logArchive: options.logArchive } : {}),
  };
  return {
    cluster,
    secretNames,
    secretLookups,
    settings: deps.settings,
    deps,
    operations: createOperations(deps),
    runIds,
  };
}

/** A run Workflow as the runner builds it, stored with the given status and creation time. */
export function seedRun(
  h: Harness,
  p: Pipeline,
  runId: string,
  status: Record<string, unknown>,
  createdAt: Date = NOW,
): KubeObject {
  const workflow = buildRunWorkflow({ pipeline: p, settings: h.settings, runId });
  return h.cluster.seed(RESOURCES.workflow, h.settings.namespace, {
    ...workflow,
    metadata: { ...workflow.metadata, creationTimestamp: createdAt.toISOString() },
    status,
  });
}

/** The main pod Argo would create for a Workflow, owned by it. */
export function seedPod(
  h: Harness,
  workflow: KubeObject,
  options: { phase?: string; template?: string } = {},
): KubeObject {
  const template = options.template ?? 'main';
  return h.cluster.seed(RESOURCES.pod, h.settings.namespace, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${workflow.metadata.name}-${template}-1234567890`,
      labels: {
        'workflows.argoproj.io/workflow': workflow.metadata.name as string,
        [LABELS.template]: template,
      },
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Workflow',
          name: workflow.metadata.name as string,
          uid: workflow.metadata.uid as string,
        },
      ],
    },
    status: { phase: options.phase ?? 'Running' },
  });
}

/** The workflow config held by a config Secret, parsed (the text is YAML or JSON; JSON is YAML too). */
export function parsedConfigOf(secret: KubeObject | undefined): Record<string, unknown> {
  return parseYaml(configOf(secret)) as Record<string, unknown>;
}

/** The decoded workflow config text held by a config Secret. */
export function configOf(secret: KubeObject | undefined): string {
  const data = (secret as { data?: Record<string, string> } | undefined)?.data?.config;
  return Buffer.from(data ?? '', 'base64').toString('utf8');
}
