// Schedules that invoke a function: an EventBridge rule (the heartbeat, which must fire on the minute) and
// an EventBridge Scheduler schedule with a flexible time window (the registry refresh, spread at random).
import { schedulerTrustPolicy, scheduledInvokePolicy } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';

/** A rule on `expression` that invokes `target`, with the permission EventBridge needs to do so. */
export function schedule(
  id: string,
  expression: string,
  target: sst.aws.Function,
  description: string,
): void {
  const rule = new aws.cloudwatch.EventRule(`${id}Schedule`, { scheduleExpression: expression, description });
  new aws.cloudwatch.EventTarget(`${id}Target`, { rule: rule.name, arn: target.arn });
  new aws.lambda.Permission(`${id}Permission`, {
    action: 'lambda:InvokeFunction',
    function: target.name,
    principal: 'events.amazonaws.com',
    sourceArn: rule.arn,
  });
}

export interface FlexibleScheduleInput {
  expression: string;
  target: sst.aws.Function;
  description: string;
  /** Scheduler fires at a random moment within this many minutes after each scheduled time. */
  maximumWindowInMinutes: number;
  /** What the function receives. */
  input: Record<string, unknown>;
  account: $util.Output<AccountContext>;
}

/**
 * An EventBridge Scheduler schedule on `expression` with a flexible time window, so many runners on the
 * same expression do not all call at the same minute and the function itself never waits. Scheduler
 * invokes through an execution role that may invoke exactly `target`.
 */
export function flexibleSchedule(id: string, options: FlexibleScheduleInput): void {
  const role = new aws.iam.Role(`${id}SchedulerRole`, {
    description: `EventBridge Scheduler: ${options.description}`,
    assumeRolePolicy: options.account.apply((account) => JSON.stringify(schedulerTrustPolicy(account))),
  });
  const rolePolicy = new aws.iam.RolePolicy(`${id}SchedulerRolePolicy`, {
    role: role.name,
    policy: options.target.arn.apply((arn) => JSON.stringify(scheduledInvokePolicy(arn))),
  });
  new aws.scheduler.Schedule(
    `${id}Schedule`,
    {
      description: options.description,
      scheduleExpression: options.expression,
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: options.maximumWindowInMinutes },
      target: { arn: options.target.arn, roleArn: role.arn, input: JSON.stringify(options.input) },
    },
    { dependsOn: [rolePolicy] },
  );
}
