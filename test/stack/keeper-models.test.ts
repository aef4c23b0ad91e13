// The outbound keeper's Lambda configuration, tick rule and invoke configuration (Pulumi mocks, see harness.ts)
// against AWS's own service models (botocore's lambda 2015-03-31 and events 2015-10-07, Debian's
// python3-botocore), plus the limits AWS documents but the models do not carry. What this cannot prove: how
// SST's Function component turns these arguments into the API call (its expansion is SST's).
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig, type StageConfigInput } from '@hybrid-runner/config';
import { loadServiceModel, type ServiceModel } from '../support/aws-models/service-models.ts';
import { validateShape } from '../support/aws-models/shape-validator.ts';
import { runStack, type StackRun } from './harness.ts';

const OUTBOUND: StageConfigInput = {
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'prod-eks' },
  bridge: { mode: 'outbound' },
};
/** Lambda's documented limits: 15 minutes, and 4 KB for all environment variables together. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
const LAMBDA_MAX_ENVIRONMENT_BYTES = 4 * 1024;

let lambda: ServiceModel;
let events: ServiceModel;
const runs: Record<string, StackRun> = {};

beforeAll(async () => {
  lambda = loadServiceModel('lambda');
  events = loadServiceModel('events');
  runs.defaults = await runStack(parseStageConfig(OUTBOUND));
  runs.largest = await runStack(
    parseStageConfig({
      ...OUTBOUND,
      bridge: { mode: 'outbound', outbound: { keeper: { memoryMb: 1024, timeoutSeconds: 900 } } },
    }),
  );
  runs.smallest = await runStack(
    parseStageConfig({
      ...OUTBOUND,
      bridge: { mode: 'outbound', outbound: { keeper: { memoryMb: 128, timeoutSeconds: 300 } } },
    }),
  );
}, 120_000);

/** The keeper's arguments as the CreateFunction body they become (Runtime aside: see the test below). */
function createFunctionInput(run: StackRun): Record<string, unknown> {
  const args = run.one('standin:sst:aws:FunctionArgs', 'KeeperArgs').inputs;
  return {
    FunctionName: args.name,
    Role: args.role,
    Handler: args.handler,
    // SST uploads the bundle to its own bucket; only the member's shape matters here.
    Code: { S3Bucket: 'sst-asset-bucket', S3Key: 'keeper.zip' },
    Description: args.description,
    Timeout: Number.parseInt(String(args.timeout), 10),
    MemorySize: Number.parseInt(String(args.memory), 10),
    Architectures: [args.architecture],
    Environment: { Variables: args.environment },
  };
}

describe("the outbound keeper's configuration against botocore's Lambda and EventBridge models", () => {
  for (const name of ['defaults', 'largest', 'smallest']) {
    it(`is a valid CreateFunction body, inside Lambda's documented limits (${name})`, () => {
      const input = createFunctionInput(runs[name]!);
      expect(validateShape(lambda, 'CreateFunctionRequest', input, 'keeper')).toEqual([]);
      expect(input.Architectures).toEqual(['arm64']);
      expect(input.Timeout as number).toBeLessThanOrEqual(LAMBDA_MAX_TIMEOUT_SECONDS);
      const variables = JSON.stringify((input.Environment as { Variables: unknown }).Variables);
      expect(Buffer.byteLength(variables)).toBeLessThan(LAMBDA_MAX_ENVIRONMENT_BYTES);
    });
  }

  it('would catch a memory size or architecture Lambda refuses (the check bites)', () => {
    const input = createFunctionInput(runs.defaults!);
    expect(validateShape(lambda, 'CreateFunctionRequest', { ...input, MemorySize: 64 }, 'keeper')).toEqual([
      expect.stringContaining('below the minimum 128'),
    ]);
    expect(
      validateShape(lambda, 'CreateFunctionRequest', { ...input, Architectures: ['aarch64'] }, 'keeper'),
    ).toEqual([expect.stringContaining('"aarch64" is not one of x86_64, arm64')]);
  });

  it("runs on nodejs24.x, which this model (botocore 1.29, 2022) predates: AWS's runtime list has it", () => {
    const runtimes = lambda.shapes.Runtime?.enum ?? [];
    expect(runtimes).toContain('nodejs18.x');
    const args = runs.defaults!.one('standin:sst:aws:FunctionArgs', 'KeeperArgs').inputs;
    expect(args.runtime).toBe('nodejs24.x');
  });

  it('asks for no retries and drops ticks older than a minute, within PutFunctionEventInvokeConfig ranges', () => {
    const config = runs.defaults!.one(
      'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
      'KeeperInvokeConfig',
    ).inputs;
    const body = {
      MaximumRetryAttempts: config.maximumRetryAttempts,
      MaximumEventAgeInSeconds: config.maximumEventAgeInSeconds,
    };
    expect(validateShape(lambda, 'PutFunctionEventInvokeConfigRequest', body, 'invoke config')).toEqual([]);
    // 60 s is the model's minimum age: one tick period, the shortest Lambda keeps an event.
    expect(lambda.shapes.MaximumEventAgeInSeconds?.min).toBe(60);
    expect(
      validateShape(
        lambda,
        'PutFunctionEventInvokeConfigRequest',
        { ...body, MaximumEventAgeInSeconds: 30 },
        'invoke config',
      ),
    ).toEqual([expect.stringContaining('below the minimum 60')]);
  });

  it('ticks with a valid PutRule schedule', () => {
    const rule = runs.defaults!.one('aws:cloudwatch/eventRule:EventRule', 'KeeperSchedule').inputs;
    const body = { Name: 'KeeperSchedule-rule', ScheduleExpression: rule.scheduleExpression };
    expect(validateShape(events, 'PutRuleRequest', body, 'keeper tick')).toEqual([]);
    // EventBridge's documented rate syntax: the singular unit for a value of 1.
    expect(rule.scheduleExpression).toMatch(/^rate\(1 minute\)$|^rate\((?!1 )\d+ minutes\)$/);
  });
});
