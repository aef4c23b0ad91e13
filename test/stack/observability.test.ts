// stacks/observability.ts under Pulumi's runtime mocks: the resources it would create (dashboard, SNS topic
// and subscriptions, one alarm per definition) with their resolved inputs. Proves the resource graph and
// every property we send; cannot prove that CloudWatch accepts the dashboard JSON (no AWS here).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALARM_THRESHOLDS,
  METRICS_NAMESPACE,
  dashboardMetricReferences,
  type DashboardBody,
  type Emitter,
} from '@hybrid-runner/observability';

const repoRoot = join(import.meta.dirname, '..', '..');
const platform = join(repoRoot, '.sst', 'platform');
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

interface Input {
  name: string;
  stage: string;
  agentId: string;
  region: string;
  functions: Partial<Record<Emitter, string>>;
  tables: Record<string, unknown>;
  alarmEmails?: string[];
  registryEnabled: boolean;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- Pulumi is loaded from .sst/platform at run time, untyped here. */
let pulumi: any;
let createObservability: (input: Input) => {
  dashboardUrl: unknown;
  alarmTopicArn: unknown;
  dashboardName: string;
};
let runs = 0;

beforeAll(async () => {
  if (!existsSync(join(platform, 'node_modules', '@pulumi', 'aws'))) {
    throw new Error(
      '.sst/platform is missing: run `npx node scripts/sst-setup.ts` (sst install) before the stack tests.',
    );
  }
  const require = createRequire(join(platform, 'package.json'));
  pulumi = require('@pulumi/pulumi');
  const globals = globalThis as Record<string, unknown>;
  globals.aws = require('@pulumi/aws');
  globals.$util = pulumi;
  // Loaded by URL so the root type-check does not follow it into SST's globals (tsconfig.stacks.json checks it).
  ({ createObservability } = await import(pathToFileURL(join(repoRoot, 'stacks', 'observability.ts')).href));
}, 60_000);

const resolve = (value: unknown) =>
  pulumi.Output.isInstance(value)
    ? new Promise((done) => (value as any).apply(done))
    : Promise.resolve(value);

async function deploy(input: Input) {
  const resources: Recorded[] = [];
  runs += 1;
  await pulumi.runtime.setMocks(
    {
      newResource(args: { type: string; name: string; inputs: Record<string, unknown> }) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'aws:sns/topic:Topic')
          state.arn = `arn:aws:sns:${REGION}:${ACCOUNT}:${args.inputs.name}`;
        if (args.type === 'aws:cloudwatch/metricAlarm:MetricAlarm') {
          state.arn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${args.inputs.name}`;
        }
        return { id: `${args.name}-id`, state };
      },
      call: () => {
        throw new Error('observability stack makes no provider calls');
      },
    },
    'hybrid-runner',
    `observability${runs}`,
    false,
  );
  const outputs = createObservability(input);
  const dashboardUrl = await resolve(outputs.dashboardUrl);
  const topicArn = await resolve(outputs.alarmTopicArn);
  // Registrations resolve asynchronously; wait until the dashboard (registered last) has arrived.
  for (
    let waited = 0;
    !resources.some((r) => r.type === 'aws:cloudwatch/dashboard:Dashboard') && waited < 200;
    waited++
  ) {
    await new Promise((done) => setTimeout(done, 10));
  }
  await new Promise((done) => setTimeout(done, 50));
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return { resources, ofType, dashboardUrl, topicArn, outputs };
}

const FUNCTIONS = {
  connect: 'hybrid-runner-prod-connect',
  disconnect: 'hybrid-runner-prod-disconnect',
  message: 'hybrid-runner-prod-message',
  heartbeat: 'hybrid-runner-prod-heartbeat',
  registryRefresh: 'hybrid-runner-prod-registry-refresh',
};
const production: Input = {
  name: 'hybrid-runner-prod',
  stage: 'prod',
  agentId: 'RemoteRunner',
  region: REGION,
  functions: FUNCTIONS,
  tables: { connections: 'Connections-1a2b', state: 'RunnerState-3c4d' },
  alarmEmails: ['oncall@example.com', 'data-team@example.com'],
  registryEnabled: true,
};

describe('createObservability', () => {
  it('creates the topic with one e-mail subscription per address', async () => {
    const run = await deploy(production);
    const [topic] = run.ofType('aws:sns/topic:Topic');
    expect(topic?.inputs.name).toBe('hybrid-runner-prod-alarms');
    const subscriptions = run.ofType('aws:sns/topicSubscription:TopicSubscription');
    expect(subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic])).toEqual([
      ['email', 'oncall@example.com', run.topicArn],
      ['email', 'data-team@example.com', run.topicArn],
    ]);
  });

  it('creates the alarms with their thresholds, periods, missing-data rules and both alarm and OK actions', async () => {
    const run = await deploy(production);
    const alarms = new Map(
      run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((a) => [a.inputs.name, a.inputs]),
    );
    expect([...alarms.keys()].sort()).toEqual(
      [
        'hybrid-runner-prod-bridge-disconnected',
        'hybrid-runner-prod-reconciliation-lag',
        'hybrid-runner-prod-ecr-credentials-expiring',
        'hybrid-runner-prod-ecr-refresh-failed',
        // named like their functions: the registryRefresh function is hybrid-runner-prod-registry-refresh
        ...Object.values(FUNCTIONS).map((functionName) => `${functionName}-errors`),
      ].sort(),
    );
    expect(alarms.get('hybrid-runner-prod-registry-refresh-errors')?.dimensions).toEqual({
      FunctionName: FUNCTIONS.registryRefresh,
    });
    for (const alarm of alarms.values()) {
      expect(alarm.alarmActions).toEqual([run.topicArn]);
      expect(alarm.okActions).toEqual([run.topicArn]);
      expect(alarm.actionsEnabled).toBe(true);
      expect(String(alarm.alarmDescription)).toMatch(/docs\/operations\.md#/);
    }
    expect(alarms.get('hybrid-runner-prod-bridge-disconnected')).toMatchObject({
      namespace: METRICS_NAMESPACE,
      metricName: 'OpenConnections',
      dimensions: { stage: 'prod', agentId: 'RemoteRunner' },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
    expect(alarms.get('hybrid-runner-prod-ecr-credentials-expiring')).toMatchObject({
      metricName: 'EcrTokenHoursRemaining',
      statistic: 'Minimum',
      threshold: ALARM_THRESHOLDS.ecrHoursRemaining,
      comparisonOperator: 'LessThanThreshold',
      period: 300,
      evaluationPeriods: 3,
      treatMissingData: 'breaching',
    });
    expect(alarms.get('hybrid-runner-prod-ecr-refresh-failed')).toMatchObject({
      metricName: 'EcrRefreshFailed',
      statistic: 'Maximum',
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      period: 300,
      treatMissingData: 'notBreaching',
    });
    expect(alarms.get('hybrid-runner-prod-reconciliation-lag')).toMatchObject({
      metricName: 'ReconciliationLag',
      threshold: 300,
      comparisonOperator: 'GreaterThanThreshold',
      evaluationPeriods: 2,
      treatMissingData: 'notBreaching',
    });
    expect(alarms.get('hybrid-runner-prod-heartbeat-errors')).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'hybrid-runner-prod-heartbeat' },
      statistic: 'Sum',
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      period: 300,
    });
  });

  it('creates the dashboard from the catalog, with the resolved table names and an alarm panel of every alarm', async () => {
    const run = await deploy(production);
    const [dashboard] = run.ofType('aws:cloudwatch/dashboard:Dashboard');
    expect(dashboard?.inputs.dashboardName).toBe('hybrid-runner-prod');
    const body = JSON.parse(String(dashboard?.inputs.dashboardBody)) as DashboardBody;
    const references = dashboardMetricReferences(body);
    expect(
      references.filter((r) => r.namespace === 'AWS/DynamoDB').map((r) => r.dimensions.TableName),
    ).toEqual(expect.arrayContaining(['Connections-1a2b', 'RunnerState-3c4d']));
    expect(
      references.filter((r) => r.namespace === METRICS_NAMESPACE).every((r) => r.dimensions.stage === 'prod'),
    ).toBe(true);
    const alarmPanel = body.widgets.find((widget) => widget.type === 'alarm');
    const alarmArns = run
      .ofType('aws:cloudwatch/metricAlarm:MetricAlarm')
      .map((a) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.inputs.name}`);
    expect(alarmPanel?.type === 'alarm' && [...alarmPanel.properties.alarms].sort()).toEqual(
      alarmArns.sort(),
    );
    expect(run.dashboardUrl).toBe(
      `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/hybrid-runner-prod`,
    );
  });

  it('leaves out e-mail subscriptions, ECR alarms and missing functions when the stage has none', async () => {
    const run = await deploy({
      ...production,
      alarmEmails: [],
      registryEnabled: false,
      functions: { connect: FUNCTIONS.connect, message: FUNCTIONS.message },
    });
    expect(run.ofType('aws:sns/topicSubscription:TopicSubscription')).toEqual([]);
    const names = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((a) => a.inputs.name);
    expect(names.some((name) => String(name).includes('ecr'))).toBe(false);
    expect(names.filter((name) => String(name).endsWith('-errors')).sort()).toEqual([
      'hybrid-runner-prod-connect-errors',
      'hybrid-runner-prod-message-errors',
    ]);
  });

  it('refuses bad e-mail addresses and dashboard names with what to fix', () => {
    expect(() =>
      createObservability({ ...production, alarmEmails: ['oncall@example.com', 'not-an-address'] }),
    ).toThrow(/name@example\.com; fix: not-an-address/);
    expect(() => createObservability({ ...production, name: 'hybrid runner/prod' })).toThrow(
      /cannot name a CloudWatch dashboard/,
    );
  });
});
