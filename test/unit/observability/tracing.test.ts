import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  createTracer,
  instrumentClusterCalls,
  samplesOf,
  traceAwsClient,
  tracingEnabled,
  type EmfDocument,
} from '@hybrid-runner/observability';

class NotFoundError extends Error {
  override name = 'NotFoundError';
}

function fakePort() {
  const calls: string[] = [];
  return {
    calls,
    namespace: 'ingestion',
    async get(name: string) {
      calls.push(`get ${name}`);
      if (name === 'missing') throw new NotFoundError(`${name} not found`);
      if (name === 'broken') throw new Error('503 from the API server');
      return { name, namespace: this.namespace };
    },
    describe() {
      return 'sync helper';
    },
  };
}

function recorder() {
  const documents: EmfDocument[] = [];
  const metrics = createMetrics({ stage: 's', agentId: 'a', sink: (document) => documents.push(document) });
  const samples = () => {
    metrics.flush();
    return documents.flatMap(samplesOf);
  };
  return { metrics, samples };
}

describe('instrumentClusterCalls', () => {
  it('times every API call and passes results through unchanged, with the port as `this`', async () => {
    const port = fakePort();
    const { metrics, samples } = recorder();
    const instrumented = instrumentClusterCalls(port, { metrics });
    await expect(instrumented.get('wf-1')).resolves.toEqual({ name: 'wf-1', namespace: 'ingestion' });
    await instrumented.get('wf-2');
    const latency = samples().filter((sample) => sample.name === 'KubernetesApiLatency');
    expect(latency.flatMap((sample) => sample.values)).toHaveLength(2);
    expect(latency[0]!.unit).toBe('Milliseconds');
    expect(port.calls).toEqual(['get wf-1', 'get wf-2']);
  });

  it('counts failed calls as errors, but not answers such as not found, and rethrows them as they are', async () => {
    const { metrics, samples } = recorder();
    const instrumented = instrumentClusterCalls(fakePort(), { metrics });
    await expect(instrumented.get('missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(instrumented.get('broken')).rejects.toThrow('503 from the API server');
    const all = samples();
    expect(all.filter((s) => s.name === 'KubernetesApiErrors').flatMap((s) => s.values)).toEqual([1]);
    expect(all.filter((s) => s.name === 'KubernetesApiLatency').flatMap((s) => s.values)).toHaveLength(2);
  });

  it('leaves synchronous helpers and plain properties alone', () => {
    const { metrics, samples } = recorder();
    const instrumented = instrumentClusterCalls(fakePort(), { metrics });
    expect(instrumented.describe()).toBe('sync helper');
    expect(instrumented.namespace).toBe('ingestion');
    expect(samples()).toEqual([]);
  });
});

describe('tracing', () => {
  it('is off unless POWERTOOLS_TRACE_ENABLED is true', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ POWERTOOLS_TRACE_ENABLED: 'TRUE' })).toBe(true);
    expect(createTracer({ env: {} }).isTracingEnabled()).toBe(false);
  });

  it('returns AWS clients untouched when tracing is off', () => {
    const client = { send: async () => 'sent', middlewareStack: {} };
    expect(traceAwsClient(createTracer({ env: {} }), client)).toBe(client);
    expect(traceAwsClient(undefined, client)).toBe(client);
  });
});

describe('instrumentClusterCalls with tracing on', () => {
  /** A stand-in for Powertools' Tracer and the X-Ray segment it returns: records subsegments. */
  function recordingTracer() {
    const subsegments: Array<{ name: string; errors: string[]; closed: boolean }> = [];
    const tracer = {
      isTracingEnabled: () => true,
      getSegment: () => ({
        addNewSubsegment(name: string) {
          const record = { name, errors: [] as string[], closed: false };
          subsegments.push(record);
          return {
            addError: (error: Error) => record.errors.push(error.message),
            close: () => {
              record.closed = true;
            },
          };
        },
      }),
    };
    return {
      subsegments,
      tracer: tracer as unknown as Parameters<typeof instrumentClusterCalls>[1]['tracer'],
    };
  }

  it('opens and closes one named subsegment per call, with the error of a failed one', async () => {
    const { subsegments, tracer } = recordingTracer();
    const instrumented = instrumentClusterCalls(fakePort(), { tracer });
    await instrumented.get('wf-1');
    await expect(instrumented.get('broken')).rejects.toThrow();
    expect(subsegments).toEqual([
      { name: '## kubernetes.get', errors: [], closed: true },
      { name: '## kubernetes.get', errors: ['503 from the API server'], closed: true },
    ]);
  });
});
