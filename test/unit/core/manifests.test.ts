import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PIPELINE_TYPES, type Pipeline } from '@hybrid-runner/protocol';
import {
  ANNOTATIONS,
  BadRequestError,
  COMMANDS,
  CRON_POLICY,
  LABELS,
  MANAGED_BY,
  RunnerError,
  TEMPLATES,
  buildApplicationWorkflow,
  buildAutomationWorkflow,
  buildConfigSecret,
  buildCronWorkflow,
  buildRunWorkflow,
  defaultRunnerSettings,
  mergeKubernetesObjects,
  pipelineConfigSecretName,
  pipelineLabelValue,
  pipelineResourceName,
  podConfigText,
  renderApplicationConfig,
  renderAutomationConfig,
  renderWorkflowConfig,
  runWorkflowName,
  type ContainerSpec,
  type RunnerSettings,
  type WorkflowManifest,
} from '@hybrid-runner/core';

const BOT_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.bot-token-that-must-stay-in-the-secret.sig';
const RUN_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

const pipeline = (overrides: Partial<Pipeline> = {}): Pipeline => ({
  name: 'daily_metadata',
  fullyQualifiedName: 'mysql_prod."daily_metadata"',
  pipelineType: 'metadata',
  ...overrides,
});

const scheduled = (overrides: Partial<Pipeline> = {}) =>
  pipeline({
    airflowConfig: { scheduleInterval: '0 2 * * *', pipelineTimezone: 'Europe/Paris' },
    ...overrides,
  });

const fullSettings = (overrides: Partial<RunnerSettings> = {}): RunnerSettings =>
  defaultRunnerSettings({
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ingestion', effect: 'NoSchedule' }],
    nodeSelector: { 'node.kubernetes.io/instance-type': 'm6a.large' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'spot', operator: 'In', values: ['true'] }] }],
        },
      },
    },
    podGC: { strategy: 'OnWorkflowSuccess', deleteDelayDuration: '1h' },
    activeDeadlineSeconds: 7200,
    extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }],
    secretsManager: {
      provider: 'managed-aws',
      region: 'eu-west-1',
      prefix: '/collate/hybrid-ingestion-runner/',
    },
    ...overrides,
  });

function mainContainer(workflow: { spec: { templates: Array<Record<string, unknown>> } }): ContainerSpec {
  const template = workflow.spec.templates.find((t) => t.name === TEMPLATES.main);
  return template?.container as ContainerSpec;
}

function envOf(container: ContainerSpec): Record<string, unknown> {
  return Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom]));
}

describe('renderWorkflowConfig', () => {
  const given = {
    source: {
      type: 'mysql',
      serviceName: 'mysql_prod',
      sourceConfig: { config: { type: 'DatabaseMetadata' } },
    },
    sink: { type: 'metadata-rest', config: {} },
    workflowConfig: { loggerLevel: 'INFO' },
  };

  it('fills the server connection with the bot token, https host and the runner fields', () => {
    const config = parseYaml(
      renderWorkflowConfig(given, {
        pipeline: pipeline(),
        settings: defaultRunnerSettings(),
        botToken: BOT_TOKEN,
      }),
    );
    expect(config).toEqual({
      ...given,
      workflowConfig: {
        loggerLevel: 'INFO',
        openMetadataServerConfig: {
          hostPort: 'https://my-cluster.getcollate.io/api',
          authProvider: 'openmetadata',
          securityConfig: { jwtToken: BOT_TOKEN },
          secretsManagerProvider: 'kubernetes',
          secretsManagerLoader: 'env',
        },
      },
      ingestionPipelineFQN: 'mysql_prod."daily_metadata"',
      enableStreamableLogs: false,
      ingestionRunnerName: 'RemoteRunner',
    });
  });

  it('keeps a token and host the config already has, uses http when secure protocols are off', () => {
    const withServer = {
      ...given,
      workflowConfig: {
        openMetadataServerConfig: {
          hostPort: 'https://other/api',
          securityConfig: { jwtToken: 'own-token' },
        },
      },
    };
    const settings = defaultRunnerSettings({ useSecureProtocols: false });
    const kept = parseYaml(
      renderWorkflowConfig(withServer, { pipeline: pipeline(), settings, botToken: BOT_TOKEN }),
    );
    expect(kept.workflowConfig.openMetadataServerConfig.securityConfig.jwtToken).toBe('own-token');
    expect(kept.workflowConfig.openMetadataServerConfig.hostPort).toBe('https://other/api');
    const filled = parseYaml(
      renderWorkflowConfig(given, { pipeline: pipeline(), settings, botToken: BOT_TOKEN }),
    );
    expect(filled.workflowConfig.openMetadataServerConfig.hostPort).toBe(
      'http://my-cluster.getcollate.io/api',
    );
  });

  it('sets the AWS secrets manager for managed-aws and honours the streamable-logs and runner-name options', () => {
    const config = parseYaml(
      renderWorkflowConfig(given, {
        pipeline: pipeline(),
        settings: fullSettings(),
        botToken: BOT_TOKEN,
        enableStreamableLogs: true,
        ingestionRunnerName: 'eks-runner',
      }),
    );
    expect(config.workflowConfig.openMetadataServerConfig).toMatchObject({
      secretsManagerProvider: 'aws',
      secretsManagerLoader: 'env',
    });
    expect(config.enableStreamableLogs).toBe(true);
    expect(config.ingestionRunnerName).toBe('eks-runner');
  });

  it('accepts the config as YAML or JSON text and does not modify the caller’s object', () => {
    const options = { pipeline: pipeline(), settings: defaultRunnerSettings(), botToken: BOT_TOKEN };
    const fromObject = renderWorkflowConfig(given, options);
    expect(renderWorkflowConfig(JSON.stringify(given), options)).toBe(fromObject);
    expect(renderWorkflowConfig('source:\n  type: mysql\n', options)).toContain('"source":{"type":"mysql"}');
    expect(given.workflowConfig).toEqual({ loggerLevel: 'INFO' });
  });

  it.each([
    ['a YAML scalar', 'just text'],
    ['a list', [1, 2]],
    ['null', null],
  ])('refuses %s with a bad_request naming the field', (_what, config) => {
    expect(() =>
      renderWorkflowConfig(config, {
        pipeline: pipeline(),
        settings: defaultRunnerSettings(),
        botToken: BOT_TOKEN,
      }),
    ).toThrow(/payload\.workflowConfig must be an object/);
  });

  it('reports unparsable text by position, without echoing the text (it may hold a password)', () => {
    const text = 'source: {password: "hunter2"\n  broken: [';
    let error: unknown;
    try {
      renderWorkflowConfig(text, {
        pipeline: pipeline(),
        settings: defaultRunnerSettings(),
        botToken: BOT_TOKEN,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toMatch(
      /payload\.workflowConfig is neither valid JSON nor valid YAML \(line \d+, column \d+: [A-Z_]+\)/,
    );
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('podConfigText', () => {
  it('writes strings PyYAML would misread (yes, on, dates, =) quoted, and YAML 1.1 floats', () => {
    const text = podConfigText({
      a: 'yes',
      b: 'on',
      c: '2001-01-01',
      d: '=',
      e: 1e-7,
      f: 1e21,
      g: 2.5,
      h: '\u0085\u2028',
    });
    expect(text).toBe(
      '{"a":"yes","b":"on","c":"2001-01-01","d":"=","e":1.0e-7,"f":1.0e+21,"g":2.5,"h":"\\u0085\\u2028"}',
    );
  });

  it('is JSON that reads back to the same value, with no raw character PyYAML rejects or folds (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), (value) => {
        const text = podConfigText(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(text).not.toMatch(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes every number as a JSON number PyYAML reads as one: plain, or with a dot and a signed exponent (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger()), (n) => {
        const text = podConfigText({ n }).slice('{"n":'.length, -1);
        expect(text).toMatch(/^(null|-?\d+(\.\d+)?|-?\d+\.\d+e[+-]\d+)$/);
        expect(JSON.parse(text)).toBe(Number.isFinite(n) ? n + 0 : null); // -0 is written as 0, as JSON does
      }),
      { numRuns: 1000 },
    );
  });
});

describe('automation and application configs', () => {
  it('completes the automation workflow’s openMetadataServerConnection', () => {
    const workflow = {
      name: 'test-connection-mysql',
      workflowType: 'TEST_CONNECTION',
      request: { connection: {} },
    };
    const config = JSON.parse(
      renderAutomationConfig(workflow, { settings: defaultRunnerSettings(), botToken: BOT_TOKEN }),
    );
    expect(config.request).toEqual({ connection: {} });
    expect(config.openMetadataServerConnection).toMatchObject({
      hostPort: 'https://my-cluster.getcollate.io/api',
      securityConfig: { jwtToken: BOT_TOKEN },
    });
  });

  it('completes the application’s workflowConfig', () => {
    const config = JSON.parse(
      renderApplicationConfig(
        { name: 'SearchIndexingApplication', appConfig: { batchSize: 100 } },
        { settings: defaultRunnerSettings(), botToken: BOT_TOKEN },
      ),
    );
    expect(config.appConfig).toEqual({ batchSize: 100 });
    expect(config.workflowConfig.openMetadataServerConfig.securityConfig.jwtToken).toBe(BOT_TOKEN);
    expect(config.ingestionRunnerName).toBe('RemoteRunner');
  });
});

describe('buildConfigSecret', () => {
  it('is an Opaque Secret with the config under data.config, labelled like its pipeline', () => {
    const settings = defaultRunnerSettings();
    const identity = {
      kind: 'ingestion' as const,
      agentId: 'RemoteRunner',
      fqn: pipeline().fullyQualifiedName,
    };
    const secret = buildConfigSecret({
      name: pipelineConfigSecretName(identity.fqn),
      config: 'source: {}\n',
      settings,
      identity,
    });
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque' });
    expect(Buffer.from(secret.data.config ?? '', 'base64').toString('utf8')).toBe('source: {}\n');
    expect(secret.metadata).toMatchObject({
      name: pipelineConfigSecretName(identity.fqn),
      namespace: 'collate-ingestion',
      labels: { [LABELS.pipeline]: pipelineLabelValue(identity.fqn), [LABELS.managedBy]: MANAGED_BY },
      annotations: { [ANNOTATIONS.pipelineFqn]: identity.fqn },
    });
    expect(secret.metadata.ownerReferences).toBeUndefined();
  });

  it('can be owned by its Workflow so a one-off run’s Secret goes with it', () => {
    const secret = buildConfigSecret({
      name: 'auto-x',
      config: '{}',
      settings: defaultRunnerSettings(),
      identity: { kind: 'automation', agentId: 'a' },
      owner: { name: 'auto-x', uid: 'uid-1' },
    });
    expect(secret.metadata.ownerReferences).toEqual([
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'auto-x', uid: 'uid-1' },
    ]);
  });
});

describe('buildRunWorkflow', () => {
  it('follows the pod contract: main container, command, env from the Secret, exit handler', () => {
    const workflow = buildRunWorkflow({
      pipeline: pipeline(),
      settings: defaultRunnerSettings(),
      runId: RUN_ID,
    });
    const fqn = pipeline().fullyQualifiedName;
    expect(workflow.metadata.name).toBe(runWorkflowName(fqn, RUN_ID));
    expect(workflow.metadata.namespace).toBe('collate-ingestion');
    const main = mainContainer(workflow);
    expect(main).toMatchObject({
      name: 'main',
      command: ['python', 'main.py'],
      workingDir: '/ingestion',
      image:
        '118146679784.dkr.ecr.eu-west-1.amazonaws.com/collate-customers-ingestion-slim-eu-west-1:om-1.13.3-cl-1.13.3',
      imagePullPolicy: 'IfNotPresent',
      resources: { limits: { cpu: '1000m', memory: '4096Mi' }, requests: { cpu: '1000m', memory: '4096Mi' } },
    });
    expect(envOf(main)).toEqual({
      config: { secretKeyRef: { name: pipelineConfigSecretName(fqn), key: 'config' } },
      pipelineType: 'metadata',
      pipelineRunId: RUN_ID,
      KUBERNETES_NAMESPACE: 'collate-ingestion',
      KUBERNETES_IN_CLUSTER: 'true',
    });
    expect(workflow.spec.onExit).toBe(TEMPLATES.exitHandler);
    const exit = workflow.spec.templates.find((t) => t.name === TEMPLATES.exitHandler)
      ?.container as ContainerSpec;
    expect(exit.command).toEqual([...COMMANDS.exitHandler]);
    expect(envOf(exit)).toEqual({ ...envOf(main), pipelineStatus: '{{workflow.status}}' });
    expect(workflow.spec).toMatchObject({
      entrypoint: 'main',
      serviceAccountName: 'ingestion',
      imagePullSecrets: [{ name: 'omd-registry-credentials' }],
      ttlStrategy: { secondsAfterCompletion: 604800 },
    });
    for (const absent of ['podGC', 'activeDeadlineSeconds', 'tolerations', 'nodeSelector', 'affinity']) {
      expect(workflow.spec).not.toHaveProperty(absent);
    }
  });

  it('labels the Workflow and its pods so operations can find them, with the exact FQN and run id annotated', () => {
    const workflow = buildRunWorkflow({
      pipeline: pipeline(),
      settings: defaultRunnerSettings(),
      runId: RUN_ID,
    });
    const expected = {
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.kind]: 'ingestion',
      [LABELS.agentId]: 'RemoteRunner',
      [LABELS.pipeline]: pipelineLabelValue(pipeline().fullyQualifiedName),
      [LABELS.pipelineType]: 'metadata',
      [LABELS.runId]: RUN_ID,
    };
    expect(workflow.metadata.labels).toEqual(expected);
    expect(workflow.spec.podMetadata.labels).toEqual(expected);
    const annotations = {
      [ANNOTATIONS.pipelineFqn]: pipeline().fullyQualifiedName,
      [ANNOTATIONS.runId]: RUN_ID,
    };
    expect(workflow.metadata.annotations).toEqual(annotations);
    expect(workflow.spec.podMetadata.annotations).toEqual(annotations);
    expect(
      workflow.spec.templates.map((t) => (t.metadata as { labels: Record<string, string> }).labels),
    ).toEqual([{ [LABELS.template]: 'main' }, { [LABELS.template]: 'exit' }]);
  });

  it('applies scheduling, GC, deadline, extra env and the AWS region from the settings', () => {
    const workflow = buildRunWorkflow({ pipeline: pipeline(), settings: fullSettings(), runId: RUN_ID });
    const settings = fullSettings();
    expect(workflow.spec).toMatchObject({
      tolerations: settings.tolerations,
      nodeSelector: settings.nodeSelector,
      affinity: settings.affinity,
      podGC: { strategy: 'OnWorkflowSuccess', deleteDelayDuration: '1h' },
      activeDeadlineSeconds: 7200,
    });
    const env = envOf(mainContainer(workflow));
    expect(env.AWS_DEFAULT_REGION).toBe('eu-west-1');
    expect(env.HTTPS_PROXY).toBe('http://proxy:3128');
    expect(env).not.toHaveProperty('KUBERNETES_NAMESPACE');
  });

  it('uses a per-run config Secret when given one', () => {
    const workflow = buildRunWorkflow({
      pipeline: pipeline(),
      settings: defaultRunnerSettings(),
      runId: RUN_ID,
      configSecretName: 'run-secret',
    });
    expect(envOf(mainContainer(workflow)).config).toEqual({
      secretKeyRef: { name: 'run-secret', key: 'config' },
    });
  });

  it('refuses managed-aws without a region, saying what to set', () => {
    const settings = fullSettings({ secretsManager: { provider: 'managed-aws', prefix: '/collate/' } });
    expect(() => buildRunWorkflow({ pipeline: pipeline(), settings, runId: RUN_ID })).toThrow(
      /secretsManager\.region: set the region/,
    );
    expect(() => buildRunWorkflow({ pipeline: pipeline(), settings, runId: RUN_ID })).toThrow(RunnerError);
  });

  it('keeps one variable per name: user duplicates collapse (last wins) and never shadow pipelineStatus', () => {
    const settings = defaultRunnerSettings({
      extraEnv: [
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
        { name: 'pipelineStatus', value: 'Succeeded' },
      ],
      customContainerParams: {
        env: [
          { name: 'A', value: '3' },
          { name: 'config', value: 'inline' },
        ],
      },
    });
    const workflow = buildRunWorkflow({ pipeline: pipeline(), settings, runId: RUN_ID });
    for (const template of workflow.spec.templates) {
      const names = (template.container as ContainerSpec).env.map((e) => e.name);
      expect(new Set(names).size).toBe(names.length);
    }
    const exit = workflow.spec.templates.find((t) => t.name === TEMPLATES.exitHandler)
      ?.container as ContainerSpec;
    expect(envOf(exit).pipelineStatus).toBe('{{workflow.status}}');
    expect(envOf(exit).A).toBe('3');
    expect(envOf(exit).config).toEqual({
      secretKeyRef: { name: pipelineConfigSecretName(pipeline().fullyQualifiedName), key: 'config' },
    });
  });

  it('names a duplicate key in unparsable YAML by its code', () => {
    expect(() =>
      renderWorkflowConfig('a: 1\na: 2\n', {
        pipeline: pipeline(),
        settings: defaultRunnerSettings(),
        botToken: BOT_TOKEN,
      }),
    ).toThrow(
      'payload.workflowConfig is neither valid JSON nor valid YAML (line 2, column 1: DUPLICATE_KEY)',
    );
  });

  it('does not let extra env override the runner’s own variables', () => {
    const settings = defaultRunnerSettings({ extraEnv: [{ name: 'pipelineRunId', value: 'spoofed' }] });
    const env = mainContainer(buildRunWorkflow({ pipeline: pipeline(), settings, runId: RUN_ID })).env;
    expect(env.filter((e) => e.name === 'pipelineRunId')).toEqual([{ name: 'pipelineRunId', value: RUN_ID }]);
  });

  it('merges custom container params (env by name) and workflow params (tolerations appended)', () => {
    const settings = fullSettings({
      customContainerParams: {
        env: [{ name: 'CUSTOM_ENV', value: 'custom_value' }],
        securityContext: { runAsNonRoot: true },
        resources: { limits: { memory: '8Gi' } },
      },
      workflowParams: {
        tolerations: [{ key: 'spot', operator: 'Exists', effect: 'NoSchedule' }],
        priority: 5,
      },
    });
    const workflow = buildRunWorkflow({ pipeline: pipeline(), settings, runId: RUN_ID });
    const main = mainContainer(workflow);
    expect(envOf(main).CUSTOM_ENV).toBe('custom_value');
    expect(envOf(main).pipelineType).toBe('metadata');
    expect(main.securityContext).toEqual({ runAsNonRoot: true });
    expect(main.resources).toEqual({
      limits: { cpu: '1000m', memory: '8Gi' },
      requests: { cpu: '1000m', memory: '4096Mi' },
    });
    expect(workflow.spec.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'ingestion', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(workflow.spec.priority).toBe(5);
    // The settings themselves are untouched.
    expect(settings.tolerations).toHaveLength(1);
  });
});

describe('buildCronWorkflow', () => {
  it('is undefined for a pipeline that runs on demand only', () => {
    expect(buildCronWorkflow({ pipeline: pipeline(), settings: defaultRunnerSettings() })).toBeUndefined();
    expect(
      buildCronWorkflow({
        pipeline: pipeline({ airflowConfig: { scheduleInterval: '' } }),
        settings: defaultRunnerSettings(),
      }),
    ).toBeUndefined();
  });

  it('schedules with the list form, the time zone, Forbid and history limits; enabled unless disabled', () => {
    const cron = buildCronWorkflow({ pipeline: scheduled(), settings: defaultRunnerSettings() });
    expect(cron?.metadata.name).toBe(pipelineResourceName(pipeline().fullyQualifiedName));
    expect(cron?.spec).toMatchObject({
      schedules: ['0 2 * * *'],
      timezone: 'Europe/Paris',
      suspend: false,
      ...CRON_POLICY,
    });
    expect(cron?.spec).not.toHaveProperty('schedule');
    expect(
      buildCronWorkflow({ pipeline: scheduled({ enabled: false }), settings: defaultRunnerSettings() })?.spec
        .suspend,
    ).toBe(true);
    expect(
      buildCronWorkflow({ pipeline: scheduled({ enabled: true }), settings: defaultRunnerSettings() })?.spec
        .suspend,
    ).toBe(false);
  });

  it('runs the same spec as a run Workflow, except the run id comes from the spawned Workflow', () => {
    const settings = fullSettings();
    const cron = buildCronWorkflow({ pipeline: scheduled(), settings });
    const run = buildRunWorkflow({ pipeline: scheduled(), settings, runId: RUN_ID });
    const withRunId = (spec: WorkflowManifest['spec'], runId: string) =>
      JSON.parse(JSON.stringify(spec).replaceAll(runId, '<run>'));
    const cronSpec = withRunId(cron?.spec.workflowSpec as WorkflowManifest['spec'], '{{workflow.uid}}');
    const runSpec = withRunId(run.spec, RUN_ID);
    // Run Workflows carry their run id as a label and annotation; scheduled ones cannot know it in advance.
    delete runSpec.podMetadata.labels[LABELS.runId];
    delete runSpec.podMetadata.annotations[ANNOTATIONS.runId];
    expect(cronSpec).toEqual(runSpec);
    expect(cron?.spec.workflowMetadata.labels).toEqual(cron?.metadata.labels);
  });

  it('refuses an invalid schedule with a bad_request', () => {
    expect(() =>
      buildCronWorkflow({
        pipeline: pipeline({ airflowConfig: { scheduleInterval: '0 25 * * *' } }),
        settings: defaultRunnerSettings(),
      }),
    ).toThrow(BadRequestError);
  });
});

describe('automation and application Workflows', () => {
  const automation = { name: 'test-connection-mysql', workflowType: 'TEST_CONNECTION', request: {} };

  it('runs run_automation.py with the automation resources and no exit handler', () => {
    const workflow = buildAutomationWorkflow({
      workflow: automation,
      settings: defaultRunnerSettings(),
      runId: RUN_ID,
    });
    const main = mainContainer(workflow);
    expect(main.command).toEqual(['python', 'run_automation.py']);
    expect(main.resources).toEqual({
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '200m', memory: '256Mi' },
    });
    expect(envOf(main).config).toEqual({ secretKeyRef: { name: workflow.metadata.name, key: 'config' } });
    expect(envOf(main)).not.toHaveProperty('pipelineType');
    expect(workflow.spec.onExit).toBeUndefined();
    expect(workflow.spec.templates).toHaveLength(1);
    expect(workflow.metadata.labels).toMatchObject({
      [LABELS.kind]: 'automation',
      [LABELS.subject]: 'test-connection-mysql',
      [LABELS.pipelineType]: 'TEST_CONNECTION',
      [LABELS.runId]: RUN_ID,
    });
  });

  it('runs the applications runner module with the ingestion resources', () => {
    const workflow = buildApplicationWorkflow({
      application: {
        name: 'DataInsightsApplication',
        ingestionPipelineFQN: 'OpenMetadata.DataInsightsApplication',
      },
      settings: defaultRunnerSettings(),
      runId: RUN_ID,
    });
    const main = mainContainer(workflow);
    expect(main.command).toEqual(['python', '-m', 'metadata.applications.runner']);
    expect(main.resources).toEqual(defaultRunnerSettings().resources);
    expect(envOf(main).pipelineType).toBe('application');
    expect(workflow.metadata.labels).toMatchObject({
      [LABELS.kind]: 'application',
      [LABELS.pipeline]: 'OpenMetadata.DataInsightsApplication',
    });
    expect(workflow.metadata.name).not.toBe(
      buildAutomationWorkflow({
        workflow: { name: 'DataInsightsApplication', workflowType: 'TEST_CONNECTION', request: {} },
        settings: defaultRunnerSettings(),
        runId: RUN_ID,
      }).metadata.name,
    );
  });
});

describe('secrets stay out of Workflow specs', () => {
  it('no Workflow or CronWorkflow of any kind, type or settings contains the bot token or a connection password', () => {
    const password = 'hunter2-connection-password';
    const workflowConfig = {
      source: { type: 'mysql', serviceConnection: { config: { password } } },
      workflowConfig: { openMetadataServerConfig: { securityConfig: { jwtToken: BOT_TOKEN } } },
    };
    const automation = {
      name: 'test-connection',
      workflowType: 'TEST_CONNECTION',
      request: { connection: { config: { password } } },
      openMetadataServerConnection: { securityConfig: { jwtToken: BOT_TOKEN } },
    };
    const application = {
      name: 'App',
      workflowConfig: { openMetadataServerConfig: { securityConfig: { jwtToken: BOT_TOKEN } } },
    };
    const objects: unknown[] = [];
    for (const settings of [defaultRunnerSettings(), fullSettings()]) {
      // Rendering the configs must not leak into the builders' output either.
      renderAutomationConfig(automation, { settings, botToken: BOT_TOKEN });
      renderApplicationConfig(application, { settings, botToken: BOT_TOKEN });
      for (const pipelineType of PIPELINE_TYPES) {
        const p = scheduled({ pipelineType, fullyQualifiedName: `svc.${pipelineType}` });
        const config = renderWorkflowConfig(workflowConfig, { pipeline: p, settings, botToken: BOT_TOKEN });
        expect(config).toContain(BOT_TOKEN); // the Secret's content does hold it
        objects.push(buildRunWorkflow({ pipeline: p, settings, runId: RUN_ID }));
        objects.push(buildCronWorkflow({ pipeline: p, settings }));
      }
      objects.push(buildAutomationWorkflow({ workflow: automation, settings, runId: RUN_ID }));
      objects.push(buildApplicationWorkflow({ application, settings, runId: RUN_ID }));
    }
    expect(objects).toHaveLength(44);
    for (const object of objects) {
      expect(object).toBeDefined();
      const text = JSON.stringify(object);
      expect(text).not.toContain(BOT_TOKEN);
      expect(text).not.toContain(password);
      expect(text).not.toContain('jwtToken');
    }
  });
});

describe('mergeKubernetesObjects', () => {
  it('merges objects deeply, named lists by name, other lists by appending, and replaces scalars', () => {
    expect(
      mergeKubernetesObjects(
        { a: { b: 1, c: 2 }, env: [{ name: 'X', value: '1' }], list: [1], s: 'x' },
        {
          a: { c: 3 },
          env: [
            { name: 'X', value: '2' },
            { name: 'Y', value: '3' },
          ],
          list: [2],
          s: 'y',
        },
      ),
    ).toEqual({
      a: { b: 1, c: 3 },
      env: [
        { name: 'X', value: '2' },
        { name: 'Y', value: '3' },
      ],
      list: [1, 2],
      s: 'y',
    });
  });
});
