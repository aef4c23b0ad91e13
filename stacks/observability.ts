// The operations part of the stack: the CloudWatch dashboard, the alarms and the SNS topic they notify.
// Everything it creates is derived from packages/observability (the metric catalog, alarmDefinitions,
// dashboardBody), so the stack, the dashboard and the code that emits the metrics cannot drift apart.
// Uses SST's globals (`aws`, `$util`) like runner.ts; deployRunner calls createObservability.
import {
  METRIC_CATALOG,
  alarmDefinitions,
  dashboardBody,
  type AlarmDefinition,
  type Emitter,
} from '@hybrid-runner/observability';

export interface ObservabilityInput {
  /** Prefix of every name, and the dashboard's name: `<app>-<stage>`. */
  name: string;
  stage: string;
  agentId: string;
  region: $util.Input<string>;
  /** Lambda function names by catalog emitter key (the functions the stage deploys). */
  functions: Partial<Record<Emitter, string>>;
  /** DynamoDB table names by role (for example { connections, state }). */
  tables: Record<string, $util.Input<string>>;
  /** Addresses that get every alarm and recovery by e-mail (each must confirm the subscription once). */
  alarmEmails?: string[];
  /** False when the stage has no registry refresh: no ECR alarms or panels. */
  registryEnabled: boolean;
  /** Outbound stages also alarm on a refused dial-out handshake. Default: inbound. */
  bridgeMode?: 'inbound' | 'outbound';
}

export interface ObservabilityOutputs {
  dashboardName: string;
  dashboardUrl: $util.Output<string>;
  alarmTopicArn: $util.Output<string>;
  alarms: Array<{ definition: AlarmDefinition; alarm: aws.cloudwatch.MetricAlarm }>;
}

/** Loose on purpose (SNS confirms the address); catches the obvious slips before a deploy does. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** CloudWatch dashboard names: up to 255 of A-Z a-z 0-9 - _. */
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

export function createObservability(input: ObservabilityInput): ObservabilityOutputs {
  if (!DASHBOARD_NAME.test(input.name)) {
    throw new Error(
      `"${input.name}" cannot name a CloudWatch dashboard: use up to 255 letters, digits, "-" or "_" (app and stage names).`,
    );
  }
  const emails = input.alarmEmails ?? [];
  const invalid = emails.filter((email) => !EMAIL.test(email));
  if (invalid.length > 0) {
    throw new Error(`Alarm e-mail addresses must look like name@example.com; fix: ${invalid.join(', ')}.`);
  }

  const topic = new aws.sns.Topic('AlarmTopic', {
    name: `${input.name}-alarms`,
    displayName: `Collate hybrid runner ${input.stage} alarms`,
  });
  emails.forEach((email, index) => {
    new aws.sns.TopicSubscription(`AlarmEmail${index + 1}`, {
      topic: topic.arn,
      protocol: 'email',
      endpoint: email,
    });
  });

  const definitions = alarmDefinitions({
    namePrefix: input.name,
    stage: input.stage,
    agentId: input.agentId,
    functionNames: input.functions,
    registryEnabled: input.registryEnabled,
    ...(input.bridgeMode ? { bridgeMode: input.bridgeMode } : {}),
  });
  const alarms = definitions.map((definition) => ({
    definition,
    alarm: new aws.cloudwatch.MetricAlarm(`Alarm${definition.id}`, {
      name: definition.name,
      alarmDescription: definition.description,
      namespace: definition.namespace,
      metricName: definition.metricName,
      dimensions: definition.dimensions,
      statistic: definition.statistic,
      period: definition.periodSeconds,
      evaluationPeriods: definition.evaluationPeriods,
      datapointsToAlarm: definition.datapointsToAlarm,
      threshold: definition.threshold,
      comparisonOperator: definition.comparisonOperator,
      treatMissingData: definition.treatMissingData,
      actionsEnabled: true,
      // Recoveries are news too: whoever was paged learns that it is over.
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    }),
  }));

  const tableRoles = Object.keys(input.tables);
  const body = $util
    .all([
      $util.output(input.region),
      $util.all(tableRoles.map((role) => $util.output(input.tables[role]!))),
      $util.all(alarms.map(({ alarm }) => alarm.arn)),
    ])
    .apply(([region, tableNames, alarmArns]) =>
      JSON.stringify(
        dashboardBody(METRIC_CATALOG, {
          region,
          stage: input.stage,
          agentId: input.agentId,
          functionNames: input.functions,
          tableNames: Object.fromEntries(tableRoles.map((role, index) => [role, tableNames[index]!])),
          registryEnabled: input.registryEnabled,
          alarmArns,
        }),
      ),
    );
  const dashboard = new aws.cloudwatch.Dashboard('Dashboard', {
    dashboardName: input.name,
    dashboardBody: body,
  });

  return {
    dashboardName: input.name,
    dashboardUrl: $util
      .all([$util.output(input.region), dashboard.dashboardName])
      .apply(
        ([region, name]) =>
          `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`,
      ),
    alarmTopicArn: topic.arn,
    alarms,
  };
}
