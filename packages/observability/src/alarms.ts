// The alarms as data, derived from the catalog: the stack creates one CloudWatch alarm per definition, the
// dashboard draws the thresholds, the docs explain them, and a test cross-checks every metric they use.
import {
  METRICS_NAMESPACE,
  METRIC_CATALOG,
  dimensionNames,
  emitterSlug,
  type Emitter,
  type MetricName,
} from './catalog.ts';

export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';
export type AlarmStatistic = 'SampleCount' | 'Average' | 'Sum' | 'Minimum' | 'Maximum';

export interface AlarmDefinition {
  /** Resource id in the stack (PascalCase, unique). */
  id: string;
  /** CloudWatch alarm name. */
  name: string;
  /** What it means and what to do first (docs/operations.md has the full runbook under `runbook`). */
  description: string;
  /** Anchor in docs/operations.md. */
  runbook: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: AlarmStatistic;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
}

/** The numbers behind the alarms, in one place (the docs and the dashboard annotations read them). */
export const ALARM_THRESHOLDS = {
  /** As the published HybridAgentDisconnected: no open connection for 2 minutes. */
  disconnectedMinutes: 2,
  /** ECR tokens live 12 hours; below 2 hours left, a missed refresh means failed pulls soon. */
  ecrHoursRemaining: 2,
  /** Minutes of missing expiry data tolerated before it counts as expiring (the heartbeat reports it every minute). */
  ecrMissingDataMinutes: 15,
  /** Collate should hear about a state change within a few heartbeats. */
  reconciliationLagSeconds: 300,
  reconciliationLagPeriods: 2,
  /** Any failed invocation is worth a look: handlers turn expected failures into answers, not errors. */
  functionErrors: 1,
  functionErrorsPeriodSeconds: 300,
} as const;

export interface AlarmOptions {
  /** Prefix of every alarm name, e.g. `hybrid-runner-prod` (the dashboard's name). */
  namePrefix: string;
  stage: string;
  agentId: string;
  /** Lambda function names by catalog emitter key (only the functions the stage deploys). */
  functionNames: Partial<Record<Emitter, string>>;
  /** False when the stage has no registry refresh: no ECR alarms. */
  registryEnabled: boolean;
  /** Outbound stages also alarm on a refused dial-out handshake. Default: inbound. */
  bridgeMode?: 'inbound' | 'outbound';
  namespace?: string;
}

function catalogMetric(
  name: MetricName,
  options: AlarmOptions,
): Pick<AlarmDefinition, 'namespace' | 'metricName' | 'dimensions'> {
  const dimensions: Record<string, string> = { stage: options.stage, agentId: options.agentId };
  const names = dimensionNames(name);
  if (names.length !== Object.keys(dimensions).length) {
    // An alarm needs one concrete time series; metrics split by extra dimensions need metric math instead.
    throw new Error(
      `${name} has dimensions [${names.join(', ')}]: an alarm on it must name every dimension value.`,
    );
  }
  return { namespace: options.namespace ?? METRICS_NAMESPACE, metricName: name, dimensions };
}

const DOCS = 'docs/operations.md';

export function alarmDefinitions(options: AlarmOptions): AlarmDefinition[] {
  const t = ALARM_THRESHOLDS;
  const alarms: AlarmDefinition[] = [
    {
      id: 'BridgeDisconnected',
      name: `${options.namePrefix}-bridge-disconnected`,
      description:
        `No open Collate connection for ${t.disconnectedMinutes} minutes (as the published HybridAgentDisconnected): ` +
        `Collate shows the runner as disconnected and cannot start runs. See ${DOCS}#bridge-disconnected.`,
      runbook: 'bridge-disconnected',
      ...catalogMetric('OpenConnections', options),
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: t.disconnectedMinutes,
      datapointsToAlarm: t.disconnectedMinutes,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      // No heartbeat data means nobody counted the connections: treat it as disconnected.
      treatMissingData: 'breaching',
    },
    {
      id: 'ReconciliationLag',
      name: `${options.namePrefix}-reconciliation-lag`,
      description:
        `Run state changes reach Collate more than ${t.reconciliationLagSeconds / 60} minutes late: runs look stuck ` +
        `in Collate. See ${DOCS}#reconciliation-lag.`,
      runbook: 'reconciliation-lag',
      ...catalogMetric('ReconciliationLag', options),
      statistic: 'Maximum',
      periodSeconds: 300,
      evaluationPeriods: t.reconciliationLagPeriods,
      datapointsToAlarm: t.reconciliationLagPeriods,
      threshold: t.reconciliationLagSeconds,
      comparisonOperator: 'GreaterThanThreshold',
      // No state changes, no lag values.
      treatMissingData: 'notBreaching',
    },
  ];
  if (options.bridgeMode === 'outbound') {
    alarms.push({
      id: 'OutboundDialRefused',
      name: `${options.namePrefix}-outbound-dial-refused`,
      description:
        'Collate refused the outbound keeper handshake (401: the stored bot JWT is wrong or revoked; 403: agentId ' +
        `is not a runner Collate knows). The keeper does not retry until the next tick. See ${DOCS}#outbound-dial-refused.`,
      runbook: 'outbound-dial-refused',
      ...catalogMetric('OutboundDialRefused', options),
      statistic: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
  }
  if (options.registryEnabled) {
    alarms.push(
      {
        id: 'EcrCredentialsExpiring',
        name: `${options.namePrefix}-ecr-credentials-expiring`,
        description:
          `The registry pull credentials expire in less than ${t.ecrHoursRemaining} hours (or nobody reported their ` +
          `expiry for ${t.ecrMissingDataMinutes} minutes): new ingestion pods will fail with ImagePullBackOff. ` +
          `See ${DOCS}#ecr-credentials-expiring.`,
        runbook: 'ecr-credentials-expiring',
        ...catalogMetric('EcrTokenHoursRemaining', options),
        statistic: 'Minimum',
        periodSeconds: 300,
        evaluationPeriods: t.ecrMissingDataMinutes / 5,
        datapointsToAlarm: t.ecrMissingDataMinutes / 5,
        threshold: t.ecrHoursRemaining,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
      },
      {
        id: 'EcrRefreshFailed',
        name: `${options.namePrefix}-ecr-refresh-failed`,
        description:
          `A registry refresh failed (login, namespace listing or a namespace's pull secret). The old credentials ` +
          `stay until they expire. See ${DOCS}#ecr-refresh-failed.`,
        runbook: 'ecr-refresh-failed',
        ...catalogMetric('EcrRefreshFailed', options),
        statistic: 'Maximum',
        periodSeconds: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      },
    );
  }
  for (const [emitter, functionName] of Object.entries(options.functionNames) as Array<[Emitter, string]>) {
    if (!functionName) continue;
    const key = emitter.charAt(0).toUpperCase() + emitter.slice(1);
    alarms.push({
      id: `FunctionErrors${key}`,
      name: `${options.namePrefix}-${emitterSlug(emitter)}-errors`,
      description:
        `The ${emitterSlug(emitter)} function (${functionName}) failed ${t.functionErrors} or more times in ` +
        `${t.functionErrorsPeriodSeconds / 60} minutes. See ${DOCS}#function-errors.`,
      runbook: 'function-errors',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: functionName },
      statistic: 'Sum',
      periodSeconds: t.functionErrorsPeriodSeconds,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: t.functionErrors,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
  }
  for (const alarm of alarms) {
    if (
      alarm.namespace === (options.namespace ?? METRICS_NAMESPACE) &&
      !(alarm.metricName in METRIC_CATALOG)
    ) {
      throw new Error(`Alarm ${alarm.id} uses ${alarm.metricName}, which is not in the metric catalog.`);
    }
  }
  return alarms;
}
