// A typed wrapper over Powertools Metrics that only takes catalog names. Powertools stores, validates and
// serialises the metrics as EMF; this wrapper picks the dimension set per metric (exactly the catalog's),
// and hands each EMF document to a sink: stdout in Lambda (CloudWatch turns the lines into metrics), a
// compact printed line on the local stage, and always the in-memory snapshot a status call can read.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import {
  COMMON_DIMENSIONS,
  METRICS_NAMESPACE,
  METRIC_CATALOG,
  isMetricName,
  type ExtraDimensions,
  type MetricName,
  type PlainMetricName,
} from './catalog.ts';

/** Environment the stack sets on every function (and the local stage on itself). */
export const OBSERVABILITY_ENV = {
  stage: 'HYBRID_RUNNER_STAGE',
  agentId: 'HYBRID_RUNNER_AGENT_ID',
  /** `emf` (default: EMF JSON lines on stdout), `local` (compact lines), `off` (snapshot only). */
  metricsSink: 'HYBRID_RUNNER_METRICS_SINK',
  /** Powertools' own switch; tracing is opt-in (observability.tracing in the stage file). */
  tracing: 'POWERTOOLS_TRACE_ENABLED',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;

/** One EMF document as Powertools serialises it. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string; StorageResolution?: number }>;
    }>;
  };
  [key: string]: unknown;
}

export type MetricsSink = (document: EmfDocument) => void;

/** In Lambda: one JSON line per document on stdout, which CloudWatch Logs turns into metrics. */
export function stdoutEmfSink(
  write: (line: string) => void = (line) => process.stdout.write(line),
): MetricsSink {
  return (document) => write(`${JSON.stringify(document)}\n`);
}

/** Local stage: one readable line per metric value, e.g. `metric Requests{operation=ping,outcome=ok} 1 Count`. */
export function compactLineSink(write: (line: string) => void = (line) => console.log(line)): MetricsSink {
  return (document) => {
    for (const sample of samplesOf(document)) {
      const extra = Object.entries(sample.dimensions)
        .filter(([key]) => !(COMMON_DIMENSIONS as readonly string[]).includes(key))
        .map(([key, value]) => `${key}=${value}`)
        .join(',');
      for (const value of sample.values) {
        write(`metric ${sample.name}${extra ? `{${extra}}` : ''} ${value} ${sample.unit}`);
      }
    }
  };
}

interface Sample {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  values: number[];
  timestamp: number;
}

/** The metric values of an EMF document with their dimensions (what CloudWatch extracts from it). */
export function samplesOf(document: EmfDocument): Sample[] {
  const samples: Sample[] = [];
  for (const directive of document._aws.CloudWatchMetrics) {
    const dimensions: Record<string, string> = {};
    for (const key of directive.Dimensions.flat()) dimensions[key] = String(document[key]);
    for (const metric of directive.Metrics) {
      const raw = document[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (value): value is number => typeof value === 'number',
      );
      samples.push({
        namespace: directive.Namespace,
        name: metric.Name,
        unit: metric.Unit,
        dimensions,
        values,
        timestamp: document._aws.Timestamp,
      });
    }
  }
  return samples;
}

export interface SnapshotEntry {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastAt: string;
}

export interface MetricsSnapshot {
  since: string;
  metrics: SnapshotEntry[];
}

let snapshotSince = new Date();
const snapshot = new Map<string, SnapshotEntry>();

function recordInSnapshot(document: EmfDocument): void {
  for (const sample of samplesOf(document)) {
    const key = JSON.stringify([sample.namespace, sample.name, Object.entries(sample.dimensions).sort()]);
    for (const value of sample.values) {
      const entry = snapshot.get(key);
      const at = new Date(sample.timestamp).toISOString();
      if (!entry) {
        snapshot.set(key, {
          namespace: sample.namespace,
          name: sample.name,
          unit: sample.unit,
          dimensions: sample.dimensions,
          count: 1,
          sum: value,
          min: value,
          max: value,
          last: value,
          lastAt: at,
        });
      } else {
        entry.count++;
        entry.sum += value;
        entry.min = Math.min(entry.min, value);
        entry.max = Math.max(entry.max, value);
        entry.last = value;
        entry.lastAt = at;
      }
    }
  }
}

/** Every metric this process published since it started (or since the last reset), aggregated. */
export function metricsSnapshot(): MetricsSnapshot {
  const metrics = [...snapshot.values()]
    .map((entry) => ({ ...entry, dimensions: { ...entry.dimensions } }))
    .sort(
      (a, b) =>
        a.name.localeCompare(b.name) ||
        JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)),
    );
  return { since: snapshotSince.toISOString(), metrics };
}

export function resetMetricsSnapshot(now: Date = new Date()): void {
  snapshot.clear();
  snapshotSince = now;
}

/** Whole numbers as they are, others to two decimals: latencies in microsecond noise help nobody. */
function readable(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The snapshot as a small table for people (what `hybrid-runner collate status` prints). */
export function formatMetricsSnapshot(current: MetricsSnapshot = metricsSnapshot()): string {
  if (current.metrics.length === 0) return `no metrics published since ${current.since}`;
  const rows = current.metrics.map((entry) => {
    const extra = Object.entries(entry.dimensions)
      .filter(([key]) => !(COMMON_DIMENSIONS as readonly string[]).includes(key))
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    return [
      `${entry.name}${extra ? `{${extra}}` : ''}`,
      readable(entry.last),
      readable(entry.sum),
      readable(entry.max),
      String(entry.count),
      entry.unit,
    ];
  });
  const header = ['metric', 'last', 'sum', 'max', 'samples', 'unit'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [`metrics since ${current.since}`, line(header), ...rows.map(line)].join('\n');
}

export interface RunnerMetricsOptions {
  stage?: string;
  agentId?: string;
  namespace?: string;
  /** Where EMF documents go besides the snapshot; default from HYBRID_RUNNER_METRICS_SINK. */
  sink?: MetricsSink;
  env?: Record<string, string | undefined>;
  now?: () => number;
}

/** Powertools flushes on its own at 100 values per metric; flush through our sink before that. */
const MAX_VALUES_PER_DOCUMENT = 90;

function sinkFromEnvironment(env: Record<string, string | undefined>): MetricsSink | undefined {
  const mode = env[OBSERVABILITY_ENV.metricsSink] ?? 'emf';
  switch (mode) {
    case 'emf':
      return stdoutEmfSink();
    case 'local':
      return compactLineSink();
    case 'off':
      return undefined;
    default:
      throw new Error(
        `${OBSERVABILITY_ENV.metricsSink}=${mode} is not a metrics sink: use emf (Lambda), local (readable lines) or off.`,
      );
  }
}

function requiredDimension(value: string | undefined, variable: string, what: string): string {
  if (!value) {
    throw new Error(
      `${variable} is not set: the ${what} dimension of every metric comes from it (the stack sets it).`,
    );
  }
  return value;
}

export class RunnerMetrics {
  readonly namespace: string;
  readonly stage: string;
  readonly agentId: string;
  readonly #sink: MetricsSink | undefined;
  readonly #now: () => number;
  /** One Powertools instance per extra-dimension combination, so each metric has exactly its dimensions. */
  readonly #batches = new Map<string, { metrics: Metrics; values: number }>();

  constructor(options: RunnerMetricsOptions = {}) {
    const env = options.env ?? process.env;
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
    this.stage =
      options.stage ?? requiredDimension(env[OBSERVABILITY_ENV.stage], OBSERVABILITY_ENV.stage, 'stage');
    this.agentId =
      options.agentId ??
      requiredDimension(env[OBSERVABILITY_ENV.agentId], OBSERVABILITY_ENV.agentId, 'agentId');
    this.#sink = options.sink ?? sinkFromEnvironment(env);
    this.#now = options.now ?? Date.now;
  }

  /** Records one value of a catalog metric; metrics with extra dimensions need them all. */
  add<Name extends PlainMetricName>(name: Name, value: number): void;
  add<Name extends Exclude<MetricName, PlainMetricName>>(
    name: Name,
    value: number,
    dimensions: ExtraDimensions<Name>,
  ): void;
  add(name: MetricName, value: number, dimensions: Record<string, string> = {}): void {
    if (!isMetricName(name)) throw new Error(`${String(name)} is not in the metric catalog.`);
    const definition = METRIC_CATALOG[name];
    const expected: readonly string[] = definition.dimensions;
    const given = Object.keys(dimensions);
    const missing = expected.filter((key) => !dimensions[key]);
    const unexpected = given.filter((key) => !expected.includes(key));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new Error(
        `${name} takes the dimensions [${expected.join(', ')}]` +
          `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unexpected.length ? `; not in the catalog: ${unexpected.join(', ')}` : ''}.`,
      );
    }
    if (!Number.isFinite(value))
      throw new Error(`${name} got ${value}: metric values must be finite numbers.`);
    const ordered = expected.map((key) => [key, dimensions[key]!] as const);
    const key = JSON.stringify(ordered);
    let batch = this.#batches.get(key);
    if (!batch) {
      const metrics = new Metrics({ namespace: this.namespace });
      // Powertools always adds a `service` dimension; the catalog's dimension set is the contract.
      metrics.clearDefaultDimensions();
      metrics.setDefaultDimensions({
        stage: this.stage,
        agentId: this.agentId,
        ...Object.fromEntries(ordered),
      });
      batch = { metrics, values: 0 };
      this.#batches.set(key, batch);
    }
    batch.metrics.addMetric(name, definition.unit, value);
    batch.values++;
    if (batch.values >= MAX_VALUES_PER_DOCUMENT) this.#publish(batch);
  }

  /** Milliseconds since the call, for latency metrics: `const done = metrics.timer(); …; done()`. */
  timer(): () => number {
    const started = performance.now();
    return () => Math.round((performance.now() - started) * 1000) / 1000;
  }

  /** Publishes every stored value (one EMF document per dimension set) and empties the buffer. */
  flush(): void {
    // The instances stay: building one per dimension set per invocation would cost more than the flush.
    for (const batch of this.#batches.values()) this.#publish(batch);
  }

  #publish(batch: { metrics: Metrics; values: number }): void {
    if (!batch.metrics.hasStoredMetrics()) return;
    const document = batch.metrics.serializeMetrics() as unknown as EmfDocument;
    document._aws.Timestamp = this.#now();
    batch.metrics.clearMetrics();
    batch.values = 0;
    recordInSnapshot(document);
    this.#sink?.(document);
  }
}

export function createMetrics(options: RunnerMetricsOptions = {}): RunnerMetrics {
  return new RunnerMetrics(options);
}

/** Middy middleware: publish the invocation's metrics when the handler returns or throws. */
export function flushMetrics<Event = unknown, Result = unknown>(
  metrics: RunnerMetrics,
): MiddlewareObj<Event, Result> {
  const flush = () => metrics.flush();
  return { name: 'flushMetrics', after: flush, onError: flush };
}
