// Manifest generation throughput: run Workflow, CronWorkflow and config Secret (with the config render),
// each against a baseline of structuredClone of an equivalent object measured in the same run, so the
// ratio says how much building costs beyond copying a tree of the same size. Also times compiling the
// real Argo CRD validators (the emulator does it once per process) when ../shared fixtures are present.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildConfigSecret,
  buildCronWorkflow,
  buildRunWorkflow,
  defaultRunnerSettings,
  pipelineConfigSecretName,
  renderWorkflowConfig,
} from '@hybrid-runner/core';
import { loadCrdValidator } from '@hybrid-runner/k8s-emulator';
import type { Pipeline } from '@hybrid-runner/protocol';
import { measure, printFigures, printRatio, type Figures } from './lib.ts';

const settings = defaultRunnerSettings({
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ingestion', effect: 'NoSchedule' }],
  nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
  podGC: { strategy: 'OnPodCompletion' },
  activeDeadlineSeconds: 86_400,
  extraEnv: [{ name: 'LOG_LEVEL', value: 'INFO' }],
  secretsManager: {
    provider: 'managed-aws',
    region: 'eu-west-1',
    prefix: '/collate/hybrid-ingestion-runner/',
  },
});
const pipeline: Pipeline = {
  name: 'daily_metadata',
  fullyQualifiedName: 'snowflake_prod."daily metadata"',
  pipelineType: 'metadata',
  airflowConfig: { scheduleInterval: '0 2 * * *', pipelineTimezone: 'Europe/Paris' },
};
const workflowConfig = {
  source: {
    type: 'snowflake',
    serviceName: 'snowflake_prod',
    sourceConfig: {
      config: { type: 'DatabaseMetadata', includeViews: true, schemaFilterPattern: { includes: ['.*'] } },
    },
  },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { loggerLevel: 'INFO' },
};
const botToken = 'eyJhbGciOiJSUzI1NiJ9.bench.sig';
const SAMPLES = 20_000;
let runCounter = 0;
const nextRunId = () => `00000000-0000-4000-8000-${(runCounter++).toString(16).padStart(12, '0')}`;

const buildSecret = () =>
  buildConfigSecret({
    name: pipelineConfigSecretName(pipeline.fullyQualifiedName),
    config: renderWorkflowConfig(workflowConfig, { pipeline, settings, botToken }),
    settings,
    identity: { kind: 'ingestion', agentId: settings.agentId, fqn: pipeline.fullyQualifiedName },
  });

const cases: Array<[string, () => unknown]> = [
  ['run Workflow', () => buildRunWorkflow({ pipeline, settings, runId: nextRunId() })],
  ['CronWorkflow', () => buildCronWorkflow({ pipeline, settings })],
  ['config Secret (render + build)', buildSecret],
];

const rows: Figures[] = [];
const ratios: Array<[string, number, number]> = [];
for (const [name, build] of cases) {
  const equivalent = build();
  const built = await measure(name, build, { samples: SAMPLES });
  const cloned = await measure(
    `structuredClone of an equivalent ${name}`,
    () => structuredClone(equivalent),
    {
      samples: SAMPLES,
    },
  );
  rows.push(built, cloned);
  ratios.push([name, built.opsPerSecond, cloned.opsPerSecond]);
}
printFigures('Manifest generation', rows);
for (const [name, built, cloned] of ratios) {
  printRatio(`${name} builds/s`, built, 'structuredClone/s', cloned, 'ops/s');
}

const fixtures = join(import.meta.dirname, '../../shared/fixtures/argo');
if (existsSync(fixtures)) {
  const compileRows: Figures[] = [];
  for (const version of ['v3.7.18', 'v4.1.2']) {
    for (const resource of ['workflows', 'cronworkflows']) {
      const text = readFileSync(join(fixtures, version, `argoproj.io_${resource}.yaml`), 'utf8');
      compileRows.push(
        await measure(
          `compile ${version} ${resource} (${(text.length / 1e6).toFixed(1)} MB)`,
          () => loadCrdValidator(text),
          {
            samples: 3,
            warmup: 1,
          },
        ),
      );
    }
  }
  printFigures('CRD validator compile (YAML parse + ajv compile)', compileRows);
  const validator = loadCrdValidator(
    readFileSync(join(fixtures, 'v4.1.2/argoproj.io_workflows.yaml'), 'utf8'),
  );
  const workflow = buildRunWorkflow({ pipeline, settings, runId: nextRunId() });
  const validate = await measure('validate a run Workflow (v4.1.2)', () => validator.validate(workflow), {
    samples: 5000,
  });
  const clone = await measure('structuredClone of the same Workflow', () => structuredClone(workflow), {
    samples: 5000,
  });
  printFigures('CRD validation', [validate, clone]);
  printRatio('validations/s', validate.opsPerSecond, 'structuredClone/s', clone.opsPerSecond, 'ops/s');
} else {
  console.log(`\n(CRD compile figures skipped: ${fixtures} not found)`);
}
