// The cross-check of the "done when": every metric on the dashboard and in every alarm is one the
// code emits, with the same name, namespace and dimensions; and every catalog metric has an emitter.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMITTERS,
  METRICS_NAMESPACE,
  METRIC_CATALOG,
  alarmDefinitions,
  createMetrics,
  dashboardBody,
  instrumentClusterCalls,
  recordBridgeResponse,
  recordDialRefused,
  recordHandshake,
  recordKeeperHandover,
  recordHeartbeat,
  recordSourceRefused,
  recordThrottledRequest,
  recordRegistryRefresh,
  recordRunReported,
  dashboardMetricReferences,
  samplesOf,
  type EmfDocument,
  type MetricName,
} from '@hybrid-runner/observability';

const STAGE = 'prod';
const AGENT = 'agent-7';
const FUNCTIONS = {
  connect: 'hr-prod-connect',
  disconnect: 'hr-prod-disconnect',
  message: 'hr-prod-message',
  heartbeat: 'hr-prod-heartbeat',
  registryRefresh: 'hr-prod-registry-refresh',
  keeper: 'hr-prod-keeper',
};
const TABLES = { connections: 'Connections-abc', state: 'RunnerState-def' };
const body = dashboardBody(METRIC_CATALOG, {
  region: 'eu-west-1',
  stage: STAGE,
  agentId: AGENT,
  functionNames: FUNCTIONS,
  tableNames: TABLES,
  registryEnabled: true,
});
const alarms = alarmDefinitions({
  namePrefix: 'hybrid-runner-prod',
  stage: STAGE,
  agentId: AGENT,
  functionNames: FUNCTIONS,
  registryEnabled: true,
});

/** What the metrics wrapper actually emits for one value of each catalog metric: namespace, name, dimensions. */
function emittedSeries(): Map<MetricName, { namespace: string; dimensions: Record<string, string> }> {
  const documents: EmfDocument[] = [];
  const metrics = createMetrics({
    stage: STAGE,
    agentId: AGENT,
    sink: (document) => documents.push(document),
  });
  for (const [name, definition] of Object.entries(METRIC_CATALOG)) {
    const extra = Object.fromEntries(
      definition.dimensions.map((dimension) => [dimension, `${dimension}-value`]),
    );
    (metrics.add as (n: string, v: number, d: Record<string, string>) => void)(name, 1, extra);
  }
  metrics.flush();
  return new Map(
    documents
      .flatMap(samplesOf)
      .map((sample) => [
        sample.name as MetricName,
        { namespace: sample.namespace, dimensions: sample.dimensions },
      ]),
  );
}

describe('dashboard and alarms use only metrics the code emits', () => {
  const emitted = emittedSeries();
  const ours = dashboardMetricReferences(body).filter(
    (reference) => reference.namespace === METRICS_NAMESPACE,
  );

  it('emits every catalog metric (sanity of the comparison below)', () => {
    expect([...emitted.keys()].sort()).toEqual(Object.keys(METRIC_CATALOG).sort());
  });

  it('every dashboard reference matches an emitted series: name, namespace and the full dimension set', () => {
    expect(ours.length).toBeGreaterThan(10);
    for (const reference of ours) {
      const series = emitted.get(reference.metricName as MetricName);
      expect(series, `${reference.metricName} is on the dashboard but never emitted`).toBeDefined();
      expect(reference.namespace).toBe(series!.namespace);
      expect(Object.keys(reference.dimensions).sort()).toEqual(Object.keys(series!.dimensions).sort());
      expect(reference.dimensions.stage).toBe(STAGE);
      expect(reference.dimensions.agentId).toBe(AGENT);
    }
  });

  it('no other namespace of ours slips in: the rest are AWS metrics of the stack’s own functions and tables', () => {
    const others = dashboardMetricReferences(body).filter(
      (reference) => reference.namespace !== METRICS_NAMESPACE,
    );
    for (const reference of others) {
      if (reference.namespace === 'AWS/Lambda') {
        expect(Object.values(FUNCTIONS)).toContain(reference.dimensions.FunctionName);
        expect(Object.keys(reference.dimensions)).toEqual(['FunctionName']);
      } else {
        expect(reference.namespace).toBe('AWS/DynamoDB');
        expect(Object.values(TABLES)).toContain(reference.dimensions.TableName);
        expect(Object.keys(reference.dimensions)).toEqual(['TableName']);
      }
    }
    const lambdaMetrics = new Set(
      others.filter((r) => r.namespace === 'AWS/Lambda').map((r) => r.metricName),
    );
    expect([...lambdaMetrics].sort()).toEqual(['ConcurrentExecutions', 'Duration', 'Errors', 'Throttles']);
    // Each function appears on each Lambda panel.
    for (const name of Object.values(FUNCTIONS)) {
      expect(others.filter((r) => r.dimensions.FunctionName === name)).toHaveLength(4);
    }
  });

  it('shows every catalog metric somewhere on the dashboard', () => {
    const shown = new Set(ours.map((reference) => reference.metricName));
    expect([...shown].sort()).toEqual(Object.keys(METRIC_CATALOG).sort());
  });

  it('every alarm on a runner metric matches an emitted series exactly (a concrete time series)', () => {
    const runnerAlarms = alarms.filter((alarm) => alarm.namespace === METRICS_NAMESPACE);
    expect(runnerAlarms.map((alarm) => alarm.metricName).sort()).toEqual(
      ['EcrRefreshFailed', 'EcrTokenHoursRemaining', 'OpenConnections', 'ReconciliationLag'].sort(),
    );
    for (const alarm of runnerAlarms) {
      const series = emitted.get(alarm.metricName as MetricName);
      expect(series).toBeDefined();
      expect(alarm.namespace).toBe(series!.namespace);
      expect(alarm.dimensions).toEqual(series!.dimensions);
    }
  });

  it('an outbound stage adds the refused-dial alarm, on the series the keeper emits', () => {
    const outbound = alarmDefinitions({
      namePrefix: 'hybrid-runner-prod',
      stage: STAGE,
      agentId: AGENT,
      functionNames: FUNCTIONS,
      registryEnabled: true,
      bridgeMode: 'outbound',
    });
    const added = outbound.filter((alarm) => !alarms.some((inbound) => inbound.id === alarm.id));
    expect(added.map((alarm) => alarm.metricName)).toEqual(['OutboundDialRefused']);
    expect(added[0]!.dimensions).toEqual(emitted.get('OutboundDialRefused')!.dimensions);
  });

  it('function error alarms watch exactly the stack’s functions', () => {
    const functionAlarms = alarms.filter((alarm) => alarm.namespace === 'AWS/Lambda');
    expect(functionAlarms.map((alarm) => alarm.dimensions.FunctionName).sort()).toEqual(
      Object.values(FUNCTIONS).sort(),
    );
    expect(new Set(functionAlarms.map((alarm) => alarm.metricName))).toEqual(new Set(['Errors']));
  });

  it('the SEARCH expressions name the exact dimension schema of the metric (CloudWatch matches it exactly)', () => {
    const searches = ours.filter((reference) => reference.source === 'search');
    expect(searches.map((reference) => reference.metricName).sort()).toEqual([
      'OperationLatency',
      'Requests',
    ]);
  });
});

// Where the functions emit metrics. A metric counts as wired when a source file outside the observability
// package that uses the catalog's API (a name emitted through another Metrics instance lands in another
// namespace with other dimensions) calls a recorder that emits it, or names it as a string literal.
// NOT_YET_WIRED lists the rest: empty now that every function is wired; a new catalog metric goes there
// until a function emits it. The test fails both when a listed metric becomes wired (remove it from the
// list) and when an unlisted one loses its emitter.
const NOT_YET_WIRED: ReadonlySet<MetricName> = new Set<MetricName>([]);

/** The package's helpers and the metrics each can emit (checked against what they really emit below). */
const RECORDERS: Record<string, MetricName[]> = {
  recordBridgeResponse: ['Requests', 'OperationLatency', 'RunsStarted'],
  recordHandshake: ['ConnectionsOpened', 'ConnectionsRefused'],
  recordSourceRefused: ['SourcesRefused'],
  recordThrottledRequest: ['RequestsThrottled'],
  recordHeartbeat: ['OpenConnections', 'EcrTokenHoursRemaining'],
  recordRunReported: ['RunsFinished', 'RunsFailedBeforeStart', 'ReconciliationLag'],
  recordRegistryRefresh: [
    'EcrRefreshFailed',
    'EcrNamespacesUpdated',
    'EcrNamespacesFailed',
    'EcrRefreshDuration',
    'EcrTokenHoursRemaining',
  ],
  instrumentClusterCalls: ['KubernetesApiLatency', 'KubernetesApiErrors'],
  recordDialRefused: ['OutboundDialRefused'],
  recordKeeperHandover: ['KeeperHandovers'],
};

const root = join(import.meta.dirname, '..', '..', '..');

function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

describe('every catalog metric has an emitter in the functions', () => {
  const files = [...sourceFiles(join(root, 'functions')), ...sourceFiles(join(root, 'packages'))]
    .filter((path) => !relative(root, path).startsWith(join('packages', 'observability')))
    .map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }));

  function isWired(name: MetricName): boolean {
    const usingCatalog = files.filter((file) => file.text.includes('@hybrid-runner/observability'));
    const recorders = Object.keys(RECORDERS).filter((recorder) => RECORDERS[recorder]!.includes(name));
    return usingCatalog.some(
      (file) =>
        new RegExp(`['"\`]${name}['"\`]`).test(file.text) ||
        recorders.some((recorder) => file.text.includes(`${recorder}(`)),
    );
  }

  it.each(Object.keys(METRIC_CATALOG) as MetricName[])('%s', (name) => {
    expect(
      isWired(name),
      NOT_YET_WIRED.has(name)
        ? `${name} is emitted now: remove it from NOT_YET_WIRED`
        : `${name} has no emitter in functions/ or packages/: emit it (${METRIC_CATALOG[name].emittedBy.join(', ')})`,
    ).toBe(!NOT_YET_WIRED.has(name));
  });

  it('declares only real functions as emitters', () => {
    for (const definition of Object.values(METRIC_CATALOG)) {
      expect(definition.emittedBy.length).toBeGreaterThan(0);
      for (const emitter of definition.emittedBy) expect(EMITTERS).toContain(emitter);
    }
  });
});

describe('the recorder map above is what the recorders emit', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const calls: Record<string, (metrics: ReturnType<typeof createMetrics>) => Promise<void> | void> = {
    recordBridgeResponse: (metrics) =>
      recordBridgeResponse(metrics, { op: 'runPipeline', ok: true, replayed: false, latencyMs: 5 }),
    recordHandshake: (metrics) => {
      recordHandshake(metrics, true);
      recordHandshake(metrics, false);
    },
    recordSourceRefused: (metrics) => recordSourceRefused(metrics),
    recordThrottledRequest: (metrics) => recordThrottledRequest(metrics),
    recordHeartbeat: (metrics) =>
      recordHeartbeat(metrics, {
        connections: 1,
        ecrCredentialsExpireAt: new Date(now.getTime() + 3_600_000),
        now,
      }),
    recordRunReported: (metrics) =>
      recordRunReported(metrics, {
        pipelineState: 'failed',
        failedBeforeStart: true,
        changedAt: now.getTime(),
        now,
      }),
    recordRegistryRefresh: (metrics) =>
      recordRegistryRefresh(metrics, {
        ok: false,
        updated: 1,
        failed: 1,
        durationMs: 10,
        expiresAt: now,
        now,
      }),
    recordDialRefused: (metrics) => recordDialRefused(metrics),
    recordKeeperHandover: (metrics) => recordKeeperHandover(metrics, 'handed-over'),
    instrumentClusterCalls: async (metrics) => {
      const port = instrumentClusterCalls({ get: async () => Promise.reject(new Error('503')) }, { metrics });
      await port.get().catch(() => undefined);
    },
  };
  it.each(Object.keys(RECORDERS))('%s', async (recorder) => {
    const documents: EmfDocument[] = [];
    const metrics = createMetrics({
      stage: STAGE,
      agentId: AGENT,
      sink: (document) => documents.push(document),
    });
    await calls[recorder]!(metrics);
    metrics.flush();
    const names = new Set(documents.flatMap(samplesOf).map((sample) => sample.name));
    expect([...names].sort()).toEqual([...RECORDERS[recorder]!].sort());
  });
});
