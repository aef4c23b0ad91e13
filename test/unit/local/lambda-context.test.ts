import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext, scheduledEvent } from '../../../packages/local/src/lambda-context.ts';

afterEach(() => vi.useRealTimers());

describe('lambdaContext (what the local stage hands an in-process handler)', () => {
  it('names the function in its ARN, log group and memory as Lambda does, with a fresh request id each time', () => {
    const options = { functionName: 'keeper', region: 'eu-west-1', memoryLimitInMB: 256, deadline: () => 0 };
    const context = lambdaContext(options);
    expect(context).toMatchObject({
      functionName: 'keeper',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:keeper',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/keeper',
      callbackWaitsForEmptyEventLoop: false,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lambdaContext(options).awsRequestId).not.toBe(context.awsRequestId);
  });

  it('counts the remaining time down to a deadline it reads on each call, never below zero', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    let deadline = 1_000_000 + 5_000;
    const context = lambdaContext({
      functionName: 'f',
      region: 'local',
      memoryLimitInMB: 512,
      deadline: () => deadline,
    });
    expect(context.getRemainingTimeInMillis()).toBe(5_000);
    vi.advanceTimersByTime(2_000);
    expect(context.getRemainingTimeInMillis()).toBe(3_000);
    // A stopping keeper schedule cuts the deadline short.
    deadline = Date.now();
    expect(context.getRemainingTimeInMillis()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });
});

describe('scheduledEvent', () => {
  it('is an EventBridge scheduled event in the given region', () => {
    expect(scheduledEvent('eu-west-1')).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      region: 'eu-west-1',
      detail: {},
    });
  });
});
