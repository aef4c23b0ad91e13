// The CloudWatch objects the stack creates (Pulumi mocks, see harness.ts) against what AWS publishes:
// every alarm as its PutMetricAlarm input against the botocore model (cloudwatch 2010-08-01) and the rules
// its documentation states, the dashboard against PutDashboard's input shape and AWS's "Dashboard Body
// Structure and Syntax" (test/support/cloudwatch-checks.ts). Broken copies show each check biting.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig, type StageConfigInput } from '@hybrid-runner/config';
import { loadServiceModel, type ServiceModel } from '../support/aws-models/service-models.ts';
import { validateShape } from '../support/aws-models/shape-validator.ts';
import {
  alarmProblems,
  dashboardProblems,
  documentedValues,
  putMetricAlarmInput,
} from '../support/cloudwatch-checks.ts';
import { runStack, type StackRun } from './harness.ts';

const STAGES: Record<string, StageConfigInput> = {
  'chart defaults': { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } },
  'without the registry refresh': {
    serverHost: 'acme.getcollate.io',
    cluster: { name: 'prod-eks' },
    ecr: { enabled: false },
  },
  // The keeper's alarms (dial refused, function errors) and its dashboard panels.
  'outbound mode': {
    serverHost: 'acme.getcollate.io',
    cluster: { name: 'prod-eks' },
    bridge: { mode: 'outbound' },
  },
};

let model: ServiceModel;
const runs: Record<string, StackRun> = {};

beforeAll(async () => {
  model = loadServiceModel('cloudwatch');
  for (const [name, stage] of Object.entries(STAGES)) runs[name] = await runStack(parseStageConfig(stage));
}, 120_000);

function alarms(run: StackRun) {
  return run
    .ofType('aws:cloudwatch/metricAlarm:MetricAlarm')
    .map((alarm) => putMetricAlarmInput(alarm.inputs));
}

function dashboard(run: StackRun) {
  const [resource] = run.ofType('aws:cloudwatch/dashboard:Dashboard');
  if (!resource) throw new Error('The stack made no dashboard.');
  return { name: String(resource.inputs.dashboardName), body: String(resource.inputs.dashboardBody) };
}

describe('CloudWatch alarms and dashboard of the stack against the CloudWatch model and the dashboard body reference', () => {
  it('reads the valid TreatMissingData values from the model', () => {
    expect(documentedValues(model, 'PutMetricAlarmInput', 'TreatMissingData')).toEqual([
      'breaching',
      'notBreaching',
      'ignore',
      'missing',
    ]);
  });

  for (const name of Object.keys(STAGES)) {
    it(`every alarm is a valid PutMetricAlarm input (${name})`, () => {
      const inputs = alarms(runs[name]!);
      expect(inputs.length).toBeGreaterThan(3);
      expect(inputs.flatMap((input) => alarmProblems(model, input))).toEqual([]);
    });

    it(`the dashboard is a valid PutDashboard input and body (${name})`, () => {
      const { name: dashboardName, body } = dashboard(runs[name]!);
      expect(
        validateShape(
          model,
          'PutDashboardInput',
          { DashboardName: dashboardName, DashboardBody: body },
          'PutDashboard',
        ),
      ).toEqual([]);
      expect(dashboardProblems(JSON.parse(body))).toEqual([]);
    });
  }

  it('rejects broken copies of an alarm', () => {
    const [alarm] = alarms(runs['chart defaults']!);
    const broken = (change: Record<string, unknown>) => alarmProblems(model, { ...alarm!, ...change });
    expect(broken({ TreatMissingData: 'notbreaching' })).toEqual([
      expect.stringMatching(
        /TreatMissingData "notbreaching" is not one of breaching, notBreaching, ignore, missing/,
      ),
    ]);
    expect(broken({ Statistic: 'p99' })).toEqual([
      expect.stringMatching(/"p99" is not one of SampleCount, Average/),
    ]);
    expect(broken({ Period: 90 })).toEqual([
      expect.stringMatching(/Period 90 is not 10, 30 or a multiple of 60/),
    ]);
    expect(broken({ EvaluationPeriods: 0 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/EvaluationPeriods: 0 is below the minimum 1/)]),
    );
    expect(broken({ Dimensions: [{ Name: 'stage' }] })).toEqual([
      expect.stringMatching(/Dimensions\[0\]: required member Value is missing/),
    ]);
    expect(broken({ Namespace: '' })).toEqual([
      expect.stringMatching(/Namespace: 0 characters, below the minimum 1/),
    ]);
  });

  it('rejects broken copies of the dashboard', () => {
    const body = JSON.parse(dashboard(runs['chart defaults']!).body) as {
      widgets: Array<Record<string, unknown>>;
    };
    const metricIndex = body.widgets.findIndex((widget) => widget.type === 'metric');
    const broken = (change: (widget: Record<string, unknown>) => void) => {
      const copy = structuredClone(body);
      change(copy.widgets[metricIndex]!);
      return dashboardProblems(copy);
    };
    expect(broken((widget) => (widget.width = 25))).toEqual(
      expect.arrayContaining([`widgets[${metricIndex}]: width is an integer from 1 to 24`]),
    );
    expect(broken((widget) => delete (widget.properties as Record<string, unknown>).region)).toEqual([
      `widgets[${metricIndex}]: region is required (a Region code)`,
    ]);
    expect(broken((widget) => (widget.type = 'graph'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/type "graph" is not one of metric, text/)]),
    );
    expect(
      broken(
        (widget) =>
          ((widget.properties as { metrics: unknown[] }).metrics = [
            ['AWS/Lambda', 'Errors', 'FunctionName'],
          ]),
      ),
    ).toEqual([`widgets[${metricIndex}].metrics[0]: dimensions come in name/value pairs`]);
    expect(broken((widget) => ((widget.properties as Record<string, unknown>).view = 'line'))).toEqual([
      expect.stringMatching(/view "line" is not one of timeSeries/),
    ]);
    expect(dashboardProblems({ ...body, widgets: undefined })).toEqual(['widgets (an array) is required']);
  });
});
