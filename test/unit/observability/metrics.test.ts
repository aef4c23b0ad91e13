import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import middy from '@middy/core';
import {
  METRICS_NAMESPACE,
  METRIC_CATALOG,
  OBSERVABILITY_ENV,
  compactLineSink,
  createMetrics,
  dimensionNames,
  flushMetrics,
  formatMetricsSnapshot,
  metricsSnapshot,
  resetMetricsSnapshot,
  samplesOf,
  type EmfDocument,
  type MetricName,
} from '@hybrid-runner/observability';
import { captureOutput } from './capture.ts';

function collecting() {
  const documents: EmfDocument[] = [];
  return { documents, sink: (document: EmfDocument) => documents.push(structuredClone(document)) };
}

beforeEach(() => resetMetricsSnapshot());
afterEach(() => resetMetricsSnapshot());

describe('RunnerMetrics', () => {
  it('emits each metric in the catalog namespace with exactly the common and its own dimensions', () => {
    const { documents, sink } = collecting();
    const metrics = createMetrics({ stage: 'prod', agentId: 'agent-1', sink, now: () => 1_700_000_000_000 });
    metrics.add('OpenConnections', 2);
    metrics.add('Requests', 1, { operation: 'runPipeline', outcome: 'ok' });
    metrics.add('Requests', 1, { operation: 'runPipeline', outcome: 'ok' });
    metrics.add('Requests', 1, { operation: 'ping', outcome: 'bad_request' });
    metrics.flush();
    expect(documents).toHaveLength(3);
    for (const document of documents) {
      const [directive] = document._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
      expect(document._aws.Timestamp).toBe(1_700_000_000_000);
      for (const metric of directive!.Metrics) {
        // One dimension set per document: the catalog's, and no `service` dimension from Powertools.
        expect(directive!.Dimensions).toEqual([dimensionNames(metric.Name as MetricName)]);
        expect(metric.Unit).toBe(METRIC_CATALOG[metric.Name as MetricName].unit);
      }
      expect(document).not.toHaveProperty('service');
    }
    const samples = documents.flatMap(samplesOf);
    expect(samples).toContainEqual(
      expect.objectContaining({
        name: 'Requests',
        dimensions: { stage: 'prod', agentId: 'agent-1', operation: 'runPipeline', outcome: 'ok' },
        values: [1, 1],
      }),
    );
    expect(samples).toContainEqual(
      expect.objectContaining({
        name: 'OpenConnections',
        dimensions: { stage: 'prod', agentId: 'agent-1' },
        values: [2],
      }),
    );
  });

  it('rejects names and dimensions outside the catalog, at compile time and at run time', () => {
    const metrics = createMetrics({ stage: 's', agentId: 'a', sink: () => {} });
    // @ts-expect-error not a catalog metric
    expect(() => metrics.add('Bogus', 1)).toThrow(/not in the metric catalog/);
    // @ts-expect-error Requests needs operation and outcome
    expect(() => metrics.add('Requests', 1)).toThrow(/missing: operation, outcome/);
    // @ts-expect-error OpenConnections has no extra dimension
    expect(() => metrics.add('OpenConnections', 1, { operation: 'x' })).toThrow(
      /not in the catalog: operation/,
    );
    expect(() => metrics.add('OpenConnections', Number.NaN)).toThrow(/finite/);
  });

  it('takes stage and agent id from the environment and says which variable is missing', () => {
    const env = {
      [OBSERVABILITY_ENV.stage]: 'dev',
      [OBSERVABILITY_ENV.agentId]: 'runner',
      [OBSERVABILITY_ENV.metricsSink]: 'off',
    };
    const metrics = createMetrics({ env });
    expect([metrics.stage, metrics.agentId]).toEqual(['dev', 'runner']);
    expect(() => createMetrics({ env: { [OBSERVABILITY_ENV.stage]: 'dev' } })).toThrow(
      /HYBRID_RUNNER_AGENT_ID is not set/,
    );
    expect(() => createMetrics({ env: { ...env, [OBSERVABILITY_ENV.metricsSink]: 'prometheus' } })).toThrow(
      /use emf \(Lambda\), local \(readable lines\) or off/,
    );
  });

  it('writes EMF JSON lines on stdout by default, which is what CloudWatch reads in Lambda', () => {
    const output = captureOutput();
    try {
      const metrics = createMetrics({
        env: { [OBSERVABILITY_ENV.stage]: 's', [OBSERVABILITY_ENV.agentId]: 'a' },
      });
      metrics.add('RunsStarted', 1);
      metrics.flush();
    } finally {
      output.restore();
    }
    const [line, ...rest] = output.json();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['stage', 'agentId']] }] },
      RunsStarted: 1,
    });
  });

  it('prints compact lines on the local stage', () => {
    const lines: string[] = [];
    const metrics = createMetrics({
      stage: 'local',
      agentId: 'a',
      sink: compactLineSink((line) => lines.push(line)),
    });
    metrics.add('Requests', 1, { operation: 'ping', outcome: 'ok' });
    metrics.add('ReconciliationLag', 12.5);
    metrics.flush();
    expect(lines.sort()).toEqual([
      'metric ReconciliationLag 12.5 Seconds',
      'metric Requests{operation=ping,outcome=ok} 1 Count',
    ]);
  });

  it('publishes through its own sink before Powertools would flush on its own (100 values)', () => {
    const { documents, sink } = collecting();
    const output = captureOutput();
    try {
      const metrics = createMetrics({ stage: 's', agentId: 'a', sink });
      for (let index = 0; index < 250; index++) metrics.add('RunsFinished', 1, { state: 'success' });
      metrics.flush();
    } finally {
      output.restore();
    }
    expect(output.text()).toBe('');
    const values = documents.flatMap(samplesOf).flatMap((sample) => sample.values);
    expect(values).toHaveLength(250);
    expect(Math.max(...documents.map((d) => (d.RunsFinished as number[]).length))).toBeLessThan(100);
  });

  it('keeps an aggregated snapshot that a status call can show', () => {
    const metrics = createMetrics({ stage: 's', agentId: 'a', sink: () => {} });
    metrics.add('OpenConnections', 1);
    metrics.flush();
    metrics.add('OpenConnections', 3);
    metrics.add('Requests', 1, { operation: 'ping', outcome: 'ok' });
    metrics.flush();
    const snapshot = metricsSnapshot();
    expect(
      snapshot.metrics.map((entry) => [entry.name, entry.last, entry.sum, entry.max, entry.count]),
    ).toEqual([
      ['OpenConnections', 3, 4, 3, 2],
      ['Requests', 1, 1, 1, 1],
    ]);
    const table = formatMetricsSnapshot(snapshot);
    expect(table).toMatch(/^metrics since /);
    expect(table).toMatch(/OpenConnections\s+3\s+4\s+3\s+2\s+Count/);
    expect(table).toMatch(/Requests\{operation=ping,outcome=ok\}\s+1/);
    metrics.add('OperationLatency', 12.345678, { operation: 'ping' });
    metrics.flush();
    expect(formatMetricsSnapshot()).toMatch(
      /OperationLatency\{operation=ping\}\s+12\.35\s+12\.35\s+12\.35\s+1\s+Milliseconds/,
    );
    resetMetricsSnapshot();
    expect(formatMetricsSnapshot()).toMatch(/^no metrics published since/);
  });

  it('flushes from middy after the handler and when it throws', async () => {
    const { documents, sink } = collecting();
    const metrics = createMetrics({ stage: 's', agentId: 'a', sink });
    const ok = middy(async () => {
      metrics.add('RunsStarted', 1);
      return 'done';
    }).use(flushMetrics(metrics));
    const failing = middy(async () => {
      metrics.add('EcrRefreshFailed', 1);
      throw new Error('refresh failed');
    }).use(flushMetrics(metrics));
    await expect(ok({}, {} as never)).resolves.toBe('done');
    await expect(failing({}, {} as never)).rejects.toThrow('refresh failed');
    expect(documents.flatMap(samplesOf).map((sample) => sample.name)).toEqual([
      'RunsStarted',
      'EcrRefreshFailed',
    ]);
  });

  it('publishes nothing when nothing was recorded', () => {
    const { documents, sink } = collecting();
    createMetrics({ stage: 's', agentId: 'a', sink }).flush();
    expect(documents).toEqual([]);
  });
});
