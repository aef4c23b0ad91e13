// Every manifest the runner generates validates against the real Argo CRD schemas (v3.7.18 and v4.1.2),
// with unknown fields as errors. This proves the objects are structurally what Argo's API accepts; it
// cannot prove what the Argo controller does with them (CEL rules and controller checks are not run).
import { PIPELINE_TYPES, type Pipeline } from '@hybrid-runner/protocol';
import { describe, expect, it } from 'vitest';
import {
  buildApplicationWorkflow,
  buildAutomationWorkflow,
  buildCronWorkflow,
  buildRunWorkflow,
  defaultRunnerSettings,
  interruptionRetryStrategy,
  type RunnerSettings,
} from '@hybrid-runner/core';
import { parseStageConfig, toRunnerSettings } from '@hybrid-runner/config';
import { ARGO_VERSIONS, argoValidator } from './manifests.fixtures.ts';

const RUN_ID = '7d444840-9dc0-41d3-9a0c-0305e82c3301';

const SETTINGS: Record<string, RunnerSettings> = {
  defaults: defaultRunnerSettings(),
  everything: defaultRunnerSettings({
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'ingestion', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
    ],
    nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        ],
      },
    },
    podGC: { strategy: 'OnPodCompletion', deleteDelayDuration: '30m' },
    activeDeadlineSeconds: 86_400,
    // Duplicates and a clash with a runner variable: the output must still have one variable per name.
    extraEnv: [
      { name: 'LOG_LEVEL', value: 'INFO' },
      { name: 'LOG_LEVEL', value: 'DEBUG' },
      { name: 'pipelineStatus', value: 'x' },
    ],
    secretsManager: {
      provider: 'managed-aws',
      region: 'us-east-2',
      prefix: '/collate/hybrid-ingestion-runner/',
    },
    customContainerParams: {
      env: [
        { name: 'CUSTOM_ENV', value: 'custom_value' },
        { name: 'LOG_LEVEL', value: 'WARNING' },
      ],
      securityContext: { runAsNonRoot: true, runAsUser: 1000 },
    },
    workflowParams: { tolerations: [{ key: 'extra', operator: 'Exists' }], priority: 10 },
    image: { repository: 'registry.example.com/ingestion', tag: '1.13.3', pullPolicy: 'Always' },
    imagePullSecrets: ['a', 'b'],
  }),
  'no pull secrets, kubernetes secrets': defaultRunnerSettings({ imagePullSecrets: [] }),
  // The pool's toleration and selector, and the do-not-disrupt pod annotation, from the stage configuration.
  'karpenter pool': toRunnerSettings(
    parseStageConfig({
      serverHost: 'acme.getcollate.io',
      cluster: { name: 'prod-eks' },
      ingestion: { nodes: { karpenter: { enabled: true } } },
    }),
  ),
};

const pipelineOf = (pipelineType: Pipeline['pipelineType'], scheduleInterval?: string): Pipeline => ({
  name: `${pipelineType}_pipeline`,
  fullyQualifiedName: `warehouse."${pipelineType} pipeline"`,
  pipelineType,
  enabled: pipelineType !== 'dbt',
  ...(scheduleInterval ? { airflowConfig: { scheduleInterval, pipelineTimezone: 'America/Chicago' } } : {}),
});

interface Case {
  name: string;
  resource: 'workflows' | 'cronworkflows';
  object: unknown;
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const [settingsName, settings] of Object.entries(SETTINGS)) {
    for (const pipelineType of PIPELINE_TYPES) {
      for (const interval of ['@daily', '*/15 8-18 * * MON-FRI', undefined]) {
        const pipeline = pipelineOf(pipelineType, interval);
        all.push({
          name: `run ${pipelineType} (${interval ?? 'on demand'}, ${settingsName})`,
          resource: 'workflows',
          object: buildRunWorkflow({ pipeline, settings, runId: RUN_ID }),
        });
        const cron = buildCronWorkflow({ pipeline, settings });
        if (interval) {
          all.push({
            name: `cron ${pipelineType} (${interval}, ${settingsName})`,
            resource: 'cronworkflows',
            object: cron,
          });
        } else {
          expect(cron).toBeUndefined();
        }
      }
    }
    all.push({
      name: `automation (${settingsName})`,
      resource: 'workflows',
      object: buildAutomationWorkflow({
        workflow: { name: 'test-connection-Snowflake', workflowType: 'TEST_CONNECTION', request: {} },
        settings,
        runId: RUN_ID,
      }),
    });
    all.push({
      name: `application (${settingsName})`,
      resource: 'workflows',
      object: buildApplicationWorkflow({
        application: { name: 'SearchIndexingApplication' },
        settings,
        runId: RUN_ID,
      }),
    });
  }
  return all;
}

const ALL = cases();

describe.each(ARGO_VERSIONS)('generated manifests against the Argo %s CRDs', (version) => {
  it('covers all ten pipeline types, scheduled and on demand, automations and applications', () => {
    expect(ALL.filter((c) => c.resource === 'workflows')).toHaveLength(4 * (10 * 3 + 2));
    expect(ALL.filter((c) => c.resource === 'cronworkflows')).toHaveLength(4 * 10 * 2);
  });

  it.each(ALL.map((c) => [c.name, c] as const))('%s is valid', (_name, testCase) => {
    expect(argoValidator(version, testCase.resource).validate(testCase.object)).toEqual([]);
  });

  it('checks the interruption retryStrategy of every pod template: present everywhere, and a stray field in it is rejected', () => {
    for (const testCase of ALL) {
      const object = testCase.object as {
        spec: {
          templates?: Array<{ retryStrategy?: unknown }>;
          workflowSpec?: { templates: Array<{ retryStrategy?: unknown }> };
        };
      };
      const templates = object.spec.templates ?? object.spec.workflowSpec?.templates ?? [];
      expect(templates.length).toBeGreaterThan(0);
      for (const template of templates) expect(template.retryStrategy).toEqual(interruptionRetryStrategy());
    }
    const workflow = structuredClone(ALL[0]?.object) as {
      spec: { templates: Array<{ retryStrategy: object }> };
    };
    (workflow.spec.templates[0]?.retryStrategy as Record<string, unknown>).onlyOn = 'eviction';
    expect(argoValidator(version, 'workflows').validate(workflow)).toEqual([
      'spec.templates[0].retryStrategy.onlyOn: unknown field',
    ]);
  });

  it('the validator is not vacuous: a generated Workflow with one stray field is rejected', () => {
    const workflow = structuredClone(ALL[0]?.object) as { spec: { templates: Array<{ container: object }> } };
    (workflow.spec.templates[0]?.container as Record<string, unknown>).cmd = ['python'];
    expect(argoValidator(version, 'workflows').validate(workflow)).toEqual([
      'spec.templates[0].container.cmd: unknown field',
    ]);
  });
});
