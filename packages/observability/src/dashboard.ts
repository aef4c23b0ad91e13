// The CloudWatch dashboard, generated from the catalog: what the published Grafana dashboard shows
// (connection status, jobs total, jobs by status, job rate, server and executor response times) plus the
// Lambda, DynamoDB and registry panels an operator of the serverless runner needs. Pure data: the stack
// serialises it, tests read it.
import { ALARM_THRESHOLDS } from './alarms.ts';
import {
  METRICS_NAMESPACE,
  dimensionNames,
  type Emitter,
  type MetricCatalog,
  type MetricName,
} from './catalog.ts';

export interface DashboardOptions {
  region: string;
  stage: string;
  agentId: string;
  /** Lambda function names by catalog emitter key. */
  functionNames: Partial<Record<Emitter, string>>;
  /** DynamoDB table names by role, e.g. { connections, state }. */
  tableNames: Record<string, string>;
  /** Draw the registry panels (false when the stage has no registry refresh). */
  registryEnabled?: boolean;
  /** ARNs of the stack's alarms, for the alarm status panel. */
  alarmArns?: string[];
  namespace?: string;
}

type MetricOptions = {
  stat?: string;
  label?: string;
  yAxis?: 'left' | 'right';
  id?: string;
  visible?: boolean;
};
/** `[namespace, name, dim, value, …, options?]` or a metric-math/search expression. */
export type DashboardMetric =
  Array<string | MetricOptions> | [{ expression: string; id: string; label?: string; period?: number }];

export interface MetricWidget {
  type: 'metric';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    view: 'timeSeries' | 'singleValue' | 'bar';
    stacked?: boolean;
    sparkline?: boolean;
    setPeriodToTimeRange?: boolean;
    period: number;
    stat: string;
    metrics: DashboardMetric[];
    annotations?: { horizontal: Array<{ label: string; value: number; color?: string }> };
    yAxis?: { left?: { min?: number; label?: string; showUnits?: boolean }; right?: { min?: number } };
  };
}

export interface TextWidget {
  type: 'text';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { markdown: string };
}

export interface AlarmWidget {
  type: 'alarm';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title: string; alarms: string[]; sortBy: 'stateUpdatedTimestamp'; states?: string[] };
}

export type Widget = MetricWidget | TextWidget | AlarmWidget;

export interface DashboardBody {
  start: string;
  periodOverride: 'inherit';
  widgets: Widget[];
}

/** Double quotes inside SEARCH values must be escaped. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Builds dashboard metric entries for catalog metrics, with the common dimensions filled in. */
class CatalogMetrics {
  readonly namespace: string;
  readonly options: DashboardOptions;
  readonly catalog: MetricCatalog;
  #searchCount = 0;

  constructor(options: DashboardOptions, catalog: MetricCatalog) {
    this.options = options;
    this.catalog = catalog;
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
  }

  /** One time series: a metric without extra dimensions, or one with every extra dimension given. */
  metric(name: MetricName, extra: Record<string, string> = {}, options: MetricOptions = {}): DashboardMetric {
    const names = dimensionNames(name, this.catalog);
    const values: Record<string, string> = {
      stage: this.options.stage,
      agentId: this.options.agentId,
      ...extra,
    };
    const missing = names.filter((key) => values[key] === undefined);
    if (missing.length > 0)
      throw new Error(`${name} needs values for ${missing.join(', ')} on the dashboard.`);
    return [this.namespace, name, ...names.flatMap((key) => [key, values[key]!]), options];
  }

  /** Every time series of a metric split by its extra dimensions (a CloudWatch SEARCH expression). */
  search(name: MetricName, statistic: string, period: number, label?: string): DashboardMetric {
    const names = dimensionNames(name, this.catalog);
    const schema = `{${[this.namespace, ...names].join(',')}}`;
    const filter = `MetricName=${quoted(name)} stage=${quoted(this.options.stage)} agentId=${quoted(this.options.agentId)}`;
    this.#searchCount++;
    return [
      {
        expression: `SEARCH('${schema} ${filter}', '${statistic}', ${period})`,
        id: `search${this.#searchCount}`,
        ...(label !== undefined ? { label } : {}),
      },
    ];
  }
}

const WIDTH = 24;

/** Lays widgets out left to right in rows of the given heights. */
class Grid {
  #x = 0;
  #y = 0;
  #rowHeight = 0;
  readonly widgets: Widget[] = [];

  add<W extends Widget>(widget: Omit<W, 'x' | 'y'>): void {
    if (this.#x + widget.width > WIDTH) this.newRow();
    this.widgets.push({ ...widget, x: this.#x, y: this.#y } as W);
    this.#x += widget.width;
    this.#rowHeight = Math.max(this.#rowHeight, widget.height);
  }

  newRow(): void {
    if (this.#x === 0) return;
    this.#y += this.#rowHeight;
    this.#x = 0;
    this.#rowHeight = 0;
  }
}

export function dashboardBody(catalog: MetricCatalog, options: DashboardOptions): DashboardBody {
  const m = new CatalogMetrics(options, catalog);
  const grid = new Grid();
  const region = options.region;
  const functions = Object.entries(options.functionNames).filter((entry): entry is [Emitter, string] =>
    Boolean(entry[1]),
  );
  const tables = Object.entries(options.tableNames);
  const chart = (
    title: string,
    width: number,
    metrics: DashboardMetric[],
    settings: Partial<MetricWidget['properties']> = {},
  ): Omit<MetricWidget, 'x' | 'y'> => ({
    type: 'metric',
    width,
    height: 6,
    properties: { title, region, view: 'timeSeries', period: 300, stat: 'Sum', metrics, ...settings },
  });

  grid.add<TextWidget>({
    type: 'text',
    width: WIDTH,
    height: 2,
    properties: {
      markdown:
        `# Collate hybrid runner: stage \`${options.stage}\`, agent \`${options.agentId}\`\n` +
        `Metrics in \`${m.namespace}\` (dimensions stage, agentId). What each panel means and what to do when an ` +
        `alarm fires: docs/operations.md.`,
    },
  });
  grid.newRow();

  // What the published Grafana dashboard shows.
  grid.add(
    chart(
      'Connection status (open Collate connections)',
      8,
      [m.metric('OpenConnections', {}, { label: 'open connections' })],
      {
        view: 'singleValue',
        sparkline: true,
        period: 60,
        stat: 'Maximum',
      },
    ),
  );
  grid.add(
    chart(
      'Jobs total (runs started in the time range)',
      8,
      [m.metric('RunsStarted', {}, { label: 'runs started' })],
      {
        view: 'singleValue',
        setPeriodToTimeRange: true,
      },
    ),
  );
  const states = catalog.RunsFinished?.dimensionValues?.state ?? [];
  grid.add(
    chart(
      'Jobs by status (runs finished)',
      8,
      states.map((state) => m.metric('RunsFinished', { state }, { label: state })),
      { stacked: true },
    ),
  );
  grid.newRow();
  grid.add(
    chart(
      'Job rate (per 5 minutes)',
      8,
      [
        m.metric('RunsStarted', {}, { label: 'started' }),
        m.metric('RunsFailedBeforeStart', {}, { label: 'failed before start' }),
      ],
      { yAxis: { left: { min: 0 } } },
    ),
  );
  grid.add(
    chart(
      'Server response time (bridge operations, p99)',
      8,
      [m.search('OperationLatency', 'p99', 300, '')],
      { stat: 'p99', yAxis: { left: { min: 0, label: 'ms', showUnits: false } } },
    ),
  );
  grid.add(
    chart(
      'Executor response time (Kubernetes API)',
      8,
      [
        m.metric('KubernetesApiLatency', {}, { stat: 'p50', label: 'p50' }),
        m.metric('KubernetesApiLatency', {}, { stat: 'p99', label: 'p99' }),
        m.metric('KubernetesApiErrors', {}, { stat: 'Sum', label: 'errors', yAxis: 'right' }),
      ],
      { stat: 'p99', yAxis: { left: { min: 0 }, right: { min: 0 } } },
    ),
  );
  grid.newRow();
  grid.add(
    chart('Requests by operation and outcome', 12, [m.search('Requests', 'Sum', 300, '')], { stacked: true }),
  );
  grid.add(
    chart('Reconciliation lag (seconds)', 6, [m.metric('ReconciliationLag', {}, { label: 'max lag' })], {
      stat: 'Maximum',
      annotations: {
        horizontal: [{ label: 'alarm', value: ALARM_THRESHOLDS.reconciliationLagSeconds, color: '#d62728' }],
      },
    }),
  );
  grid.add(
    chart('Handshakes and throttling', 6, [
      m.metric('ConnectionsOpened', {}, { label: 'accepted' }),
      m.metric('ConnectionsRefused', {}, { label: 'refused (401/403)' }),
      m.metric('SourcesRefused', {}, { label: 'source not allowed (403)' }),
      m.metric('RequestsThrottled', {}, { label: 'requests throttled' }),
      m.metric('OutboundDialRefused', {}, { label: 'outbound dial refused (401/403)' }),
    ]),
  );
  const keeperOutcomes = catalog.KeeperHandovers?.dimensionValues?.outcome ?? [];
  grid.add(
    chart(
      'Outbound keeper handovers',
      6,
      keeperOutcomes.map((outcome) => m.metric('KeeperHandovers', { outcome }, { label: outcome })),
    ),
  );
  grid.newRow();

  // The functions and tables.
  const lambda = (metricName: string, stat: string) =>
    functions.map(([key, name]) => ['AWS/Lambda', metricName, 'FunctionName', name, { stat, label: key }]);
  grid.add(chart('Lambda errors', 6, lambda('Errors', 'Sum')));
  grid.add(chart('Lambda throttles', 6, lambda('Throttles', 'Sum')));
  grid.add(chart('Lambda duration (p99, ms)', 6, lambda('Duration', 'p99'), { stat: 'p99' }));
  grid.add(chart('Lambda concurrency', 6, lambda('ConcurrentExecutions', 'Maximum'), { stat: 'Maximum' }));
  grid.newRow();
  grid.add(
    chart(
      'DynamoDB throttled requests',
      options.registryEnabled === false ? 24 : 8,
      tables.flatMap(([role, name]) => [
        ['AWS/DynamoDB', 'ReadThrottleEvents', 'TableName', name, { stat: 'Sum', label: `${role} reads` }],
        ['AWS/DynamoDB', 'WriteThrottleEvents', 'TableName', name, { stat: 'Sum', label: `${role} writes` }],
      ]),
    ),
  );
  if (options.registryEnabled !== false) {
    grid.add(
      chart(
        'ECR credentials: hours until expiry',
        8,
        [m.metric('EcrTokenHoursRemaining', {}, { label: 'hours left' })],
        {
          stat: 'Minimum',
          yAxis: { left: { min: 0 } },
          annotations: {
            horizontal: [{ label: 'alarm', value: ALARM_THRESHOLDS.ecrHoursRemaining, color: '#d62728' }],
          },
        },
      ),
    );
    grid.add(
      chart('ECR refresh', 8, [
        m.metric('EcrRefreshFailed', {}, { stat: 'Maximum', label: 'failed (1)' }),
        m.metric('EcrNamespacesUpdated', {}, { label: 'namespaces updated' }),
        m.metric('EcrNamespacesFailed', {}, { label: 'namespaces failed' }),
        m.metric('EcrRefreshDuration', {}, { stat: 'Maximum', label: 'duration (ms)', yAxis: 'right' }),
      ]),
    );
  }
  grid.newRow();
  if (options.alarmArns && options.alarmArns.length > 0) {
    grid.add<AlarmWidget>({
      type: 'alarm',
      width: WIDTH,
      height: 4,
      properties: { title: 'Alarms', alarms: [...options.alarmArns], sortBy: 'stateUpdatedTimestamp' },
    });
  }
  return { start: '-PT6H', periodOverride: 'inherit', widgets: grid.widgets };
}

/** The catalog metrics a dashboard body refers to, with the dimensions each reference uses. */
export interface MetricReference {
  namespace: string;
  metricName: string;
  /** Dimension names (search expressions) or names with values (single series). */
  dimensions: Record<string, string | undefined>;
  source: 'metric' | 'search';
}

/** Reads every metric reference back out of a dashboard body (used by the cross-check test and docs). */
export function dashboardMetricReferences(body: DashboardBody): MetricReference[] {
  const references: MetricReference[] = [];
  for (const widget of body.widgets) {
    if (widget.type !== 'metric') continue;
    for (const entry of widget.properties.metrics) {
      const first = entry[0];
      if (typeof first === 'object' && first !== null && 'expression' in first) {
        const match = /SEARCH\('\{([^}]*)\}\s+MetricName="([^"]+)"((?:\s+\w+="(?:[^"\\]|\\.)*")*)'/.exec(
          first.expression,
        );
        if (!match) throw new Error(`Unreadable dashboard expression: ${first.expression}`);
        const [namespace, ...names] = match[1]!.split(',');
        const values = Object.fromEntries(
          [...match[3]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1]!, pair[2]!]),
        );
        references.push({
          namespace: namespace!,
          metricName: match[2]!,
          dimensions: Object.fromEntries(names.map((name) => [name, values[name]])),
          source: 'search',
        });
        continue;
      }
      const parts = entry.filter((part): part is string => typeof part === 'string');
      const [namespace, metricName, ...pairs] = parts;
      const dimensions: Record<string, string> = {};
      for (let index = 0; index + 1 < pairs.length; index += 2) dimensions[pairs[index]!] = pairs[index + 1]!;
      references.push({ namespace: namespace!, metricName: metricName!, dimensions, source: 'metric' });
    }
  }
  return references;
}
