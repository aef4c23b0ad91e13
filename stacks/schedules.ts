// EventBridge schedules that invoke a function (the heartbeat, the registry refresh).

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
