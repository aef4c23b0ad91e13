// The one metric catalog. Every metric the functions emit is declared here, as data: its name, unit, the
// dimensions beyond the common ones, what it means and which function emits it. The metrics wrapper only
// accepts these names; the dashboard, the alarms and the docs are derived from this table, and a test
// cross-checks all of them against it.

/** The CloudWatch namespace of every runner metric. */
export const METRICS_NAMESPACE = 'CollateHybridRunner';

/** Dimensions every runner metric carries, in this order: one dashboard per stage and agent. */
export const COMMON_DIMENSIONS = ['stage', 'agentId'] as const;
export type CommonDimension = (typeof COMMON_DIMENSIONS)[number];

/** The Lambda functions of the stack, as the catalog names them (keys of the stack's HANDLERS). */
export const EMITTERS = [
  'connect',
  'disconnect',
  'message',
  'heartbeat',
  'registryRefresh',
  'keeper',
] as const;
export type Emitter = (typeof EMITTERS)[number];

/**
 * An emitter's name inside resource names (`registryRefresh` → `registry-refresh`). The function names and
 * their error alarms both use it, so an alarm is found by its function's name.
 */
export function emitterSlug(emitter: Emitter): string {
  return emitter.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** CloudWatch units the catalog uses (a subset of Powertools' MetricUnit values). */
export type CatalogUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'None';

export interface MetricDefinition {
  unit: CatalogUnit;
  /** Dimensions beyond COMMON_DIMENSIONS. A metric is always emitted with exactly these. */
  dimensions: readonly string[];
  /** Known values of a dimension, when the set is closed (the dashboard then lists one line per value). */
  dimensionValues?: Readonly<Record<string, readonly string[]>>;
  /** The statistic that makes sense for it on a dashboard. */
  statistic: 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'p99';
  description: string;
  emittedBy: readonly Emitter[];
}

/** Final run states (protocol pipelineState values a run ends in). */
export const FINAL_RUN_STATES = ['success', 'failed', 'partialSuccess', 'stopped'] as const;

/** How an outbound keeper's invocation ends (core's KeeperOutcome for keepers that connected). */
export const KEEPER_HANDOVER_OUTCOMES = ['handed-over', 'left-without-successor', 'superseded'] as const;

export const METRIC_CATALOG = {
  OpenConnections: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Maximum',
    description:
      'Open Collate connections, counted by every heartbeat (every minute). 0 means Collate shows the runner as disconnected.',
    emittedBy: ['heartbeat', 'keeper'],
  },
  ConnectionsOpened: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description: 'WebSocket handshakes accepted ($connect answered 200).',
    emittedBy: ['connect'],
  },
  ConnectionsRefused: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description: 'WebSocket handshakes refused with 401 (wrong or missing token) or 403 (other agent id).',
    emittedBy: ['connect'],
  },
  SourcesRefused: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description:
      'WebSocket handshakes refused with 403 because the source address lies outside bridge.allowedSourceCidrs (before any token check).',
    emittedBy: ['connect'],
  },
  RequestsThrottled: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description:
      'Bridge requests refused by the per-connection rate limit (bridge.rateLimit): answered throttled (or its v1 stand-in), not run.',
    emittedBy: ['message'],
  },
  Requests: {
    unit: 'Count',
    dimensions: ['operation', 'outcome'],
    statistic: 'Sum',
    description:
      'Bridge requests answered, by operation and outcome (`ok` or the protocol error code). Replayed answers count too.',
    emittedBy: ['message', 'keeper'],
  },
  OperationLatency: {
    unit: 'Milliseconds',
    dimensions: ['operation'],
    statistic: 'p99',
    description:
      'Time from a frame arriving to its response being handed to API Gateway (the server response time).',
    emittedBy: ['message', 'keeper'],
  },
  KubernetesApiLatency: {
    unit: 'Milliseconds',
    dimensions: [],
    statistic: 'p99',
    description:
      'Duration of one Kubernetes API call of the cluster port, retries included (the executor response time).',
    emittedBy: ['message', 'heartbeat', 'registryRefresh', 'keeper'],
  },
  KubernetesApiErrors: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description: 'Kubernetes API calls that failed after their retries (not-found answers excluded).',
    emittedBy: ['message', 'heartbeat', 'registryRefresh', 'keeper'],
  },
  RunsStarted: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description:
      'Runs created: runPipeline, runAutomationsWorkflow and runApplicationFlow answered ok (not replays).',
    emittedBy: ['message', 'keeper'],
  },
  RunsFinished: {
    unit: 'Count',
    dimensions: ['state'],
    dimensionValues: { state: FINAL_RUN_STATES },
    statistic: 'Sum',
    description: 'Runs reported to Collate in a final state, by that state (pipelineStatus events).',
    emittedBy: ['heartbeat', 'keeper'],
  },
  RunsFailedBeforeStart: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description:
      'Runs reported failed because their pod could never start (image pull errors, unschedulable, deadline before start).',
    emittedBy: ['heartbeat', 'keeper'],
  },
  ReconciliationLag: {
    unit: 'Seconds',
    dimensions: [],
    statistic: 'Maximum',
    description:
      'Seconds between a run entering a state and the runner reporting it to Collate (one value per reported run; the alarm watches the maximum).',
    emittedBy: ['heartbeat', 'keeper'],
  },
  EcrTokenHoursRemaining: {
    unit: 'None',
    dimensions: [],
    statistic: 'Minimum',
    description:
      'Hours until the registry pull credentials in the cluster expire (ECR tokens live 12 hours). Below 2 pods start failing to pull soon.',
    emittedBy: ['registryRefresh', 'heartbeat', 'keeper'],
  },
  EcrRefreshFailed: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Maximum',
    description: '1 when a registry refresh failed (login, listing or any namespace), 0 when it succeeded.',
    emittedBy: ['registryRefresh'],
  },
  EcrNamespacesUpdated: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description: 'Namespaces whose pull secret a refresh wrote.',
    emittedBy: ['registryRefresh'],
  },
  EcrNamespacesFailed: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description: 'Namespaces whose pull secret a refresh could not write.',
    emittedBy: ['registryRefresh'],
  },
  EcrRefreshDuration: {
    unit: 'Milliseconds',
    dimensions: [],
    statistic: 'Maximum',
    description: 'Duration of one registry refresh (login and every namespace).',
    emittedBy: ['registryRefresh'],
  },
  OutboundDialRefused: {
    unit: 'Count',
    dimensions: [],
    statistic: 'Sum',
    description:
      'Outbound mode: Collate refused the keeper handshake with 401 (bot token) or 403 (agent id). The keeper stops dialling until the next schedule tick.',
    emittedBy: ['keeper'],
  },
  KeeperHandovers: {
    unit: 'Count',
    dimensions: ['outcome'],
    dimensionValues: { outcome: KEEPER_HANDOVER_OUTCOMES },
    statistic: 'Sum',
    description:
      'Outbound mode: keepers that left, by how (`handed-over` once a successor was connected; `left-without-successor` when none came in time, a gap until the next tick; `superseded` when a successor took over before this one connected).',
    emittedBy: ['keeper'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricCatalog = Readonly<Record<string, MetricDefinition>>;
export type MetricName = keyof typeof METRIC_CATALOG;

/** The dimensions a metric needs beyond the common ones, as an object type (`{}` when none). */
export type ExtraDimensions<Name extends MetricName> = {
  [Key in (typeof METRIC_CATALOG)[Name]['dimensions'][number]]: string;
};

/** Metrics without extra dimensions (they need no dimension argument). */
export type PlainMetricName = {
  [Name in MetricName]: (typeof METRIC_CATALOG)[Name]['dimensions'] extends readonly [] ? Name : never;
}[MetricName];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRIC_CATALOG, name);
}

/** The full dimension set of a metric, in emission order (common ones first). */
export function dimensionNames(name: MetricName, catalog: MetricCatalog = METRIC_CATALOG): string[] {
  const definition = catalog[name];
  if (!definition) throw new Error(`${name} is not in the metric catalog: add it to METRIC_CATALOG first.`);
  return [...COMMON_DIMENSIONS, ...definition.dimensions];
}

/** The catalog entries a given function emits. */
export function metricsEmittedBy(emitter: Emitter, catalog: MetricCatalog = METRIC_CATALOG): string[] {
  return Object.entries(catalog)
    .filter(([, definition]) => definition.emittedBy.includes(emitter))
    .map(([name]) => name);
}
