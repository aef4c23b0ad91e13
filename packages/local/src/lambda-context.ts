// What Lambda hands a handler beside its event: the invocation's Context, and EventBridge's scheduled event.
// The local stage invokes the real handlers in-process (from its schedules, its API Gateway stand-in and the
// keeper's schedule), so one builder serves them all; the remaining time counts down to a deadline as in Lambda.
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';

export interface LambdaContextOptions {
  functionName: string;
  /** The region in the function's ARN. */
  region: string;
  memoryLimitInMB: number;
  /** When the invocation times out (ms since the epoch); read on each call, so a caller may move it. */
  deadline: () => number;
}

export function lambdaContext(options: LambdaContextOptions): Context {
  const { functionName } = options;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, options.deadline() - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** What EventBridge hands a scheduled function (the heartbeat reads nothing from it). */
export function scheduledEvent(region: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region,
    resources: [],
    detail: {},
  };
}
