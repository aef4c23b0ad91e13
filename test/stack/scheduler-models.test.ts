// The registry refresh's EventBridge Scheduler schedule (Pulumi mocks, see harness.ts) as its CreateSchedule
// input, checked against AWS's published scheduler model (botocore's scheduler 2021-06-30, Debian's
// python3-botocore): required members, the window's mode enum and its 1–1440 minute range. Broken copies
// show the check biting.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig } from '@hybrid-runner/config';
import { loadServiceModel, type ServiceModel } from '../support/aws-models/service-models.ts';
import { validateShape } from '../support/aws-models/shape-validator.ts';
import { runStack, type StackRun } from './harness.ts';

let model: ServiceModel;
let run: StackRun;

beforeAll(async () => {
  model = loadServiceModel('scheduler');
  run = await runStack(parseStageConfig({ serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } }));
}, 120_000);

interface ScheduleInputs {
  description?: string;
  scheduleExpression: string;
  flexibleTimeWindow: { mode: string; maximumWindowInMinutes?: number };
  target: { arn: string; roleArn: string; input?: string };
}

/**
 * The body the AWS provider sends to CreateSchedule for an `aws.scheduler.Schedule` (AWS's casing); the
 * schedule's Name travels in the URI (`/schedules/{Name}`) and is checked there.
 */
function createScheduleInput(inputs: ScheduleInputs): Record<string, unknown> {
  return {
    ...(inputs.description ? { Description: inputs.description } : {}),
    ScheduleExpression: inputs.scheduleExpression,
    FlexibleTimeWindow: {
      Mode: inputs.flexibleTimeWindow.mode,
      ...(inputs.flexibleTimeWindow.maximumWindowInMinutes !== undefined
        ? { MaximumWindowInMinutes: inputs.flexibleTimeWindow.maximumWindowInMinutes }
        : {}),
    },
    Target: {
      Arn: inputs.target.arn,
      RoleArn: inputs.target.roleArn,
      ...(inputs.target.input !== undefined ? { Input: inputs.target.input } : {}),
    },
  };
}

function schedules(): Array<{ name: string; inputs: ScheduleInputs }> {
  return run
    .ofType('aws:scheduler/schedule:Schedule')
    .map((schedule) => ({ name: schedule.name, inputs: schedule.inputs as unknown as ScheduleInputs }));
}

describe('the EventBridge Scheduler schedule of the stack against the botocore scheduler model (Pulumi mocks)', () => {
  it('is a valid CreateSchedule input with a flexible window', () => {
    const made = schedules();
    expect(made.map((schedule) => schedule.name)).toEqual(['RegistryRefreshSchedule']);
    for (const schedule of made) {
      const input = createScheduleInput(schedule.inputs);
      expect(validateShape(model, 'CreateScheduleInput', input, 'CreateSchedule')).toEqual([]);
      expect(validateShape(model, 'Name', schedule.name, 'CreateSchedule.Name', { where: 'uri' })).toEqual(
        [],
      );
      expect(input.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 });
    }
  });

  it('rejects a window mode the model does not list, a window beyond its range and a target without a role', () => {
    const [schedule] = schedules();
    const valid = createScheduleInput(schedule!.inputs);
    const problems = (input: Record<string, unknown>) =>
      validateShape(model, 'CreateScheduleInput', input, 'CreateSchedule');
    expect(
      problems({ ...valid, FlexibleTimeWindow: { Mode: 'flexible', MaximumWindowInMinutes: 10 } }),
    ).not.toEqual([]);
    expect(
      problems({ ...valid, FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } }),
    ).not.toEqual([]);
    expect(problems({ ...valid, Target: { Arn: (valid.Target as { Arn: string }).Arn } })).not.toEqual([]);
    const { FlexibleTimeWindow: _window, ...withoutWindow } = valid;
    expect(problems(withoutWindow)).not.toEqual([]);
  });
});
