import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  hoursLeft,
  recordBridgeResponse,
  recordHeartbeat,
  recordRegistryRefresh,
  recordRunReported,
  samplesOf,
  type EmfDocument,
} from '@hybrid-runner/observability';

function recorded(record: (metrics: ReturnType<typeof createMetrics>) => void) {
  const documents: EmfDocument[] = [];
  const metrics = createMetrics({ stage: 's', agentId: 'a', sink: (document) => documents.push(document) });
  record(metrics);
  metrics.flush();
  return documents.flatMap(samplesOf).map((sample) => {
    const { stage: _stage, agentId: _agent, ...extra } = sample.dimensions;
    return { name: sample.name, extra, values: sample.values };
  });
}

const now = new Date('2026-01-01T12:00:00Z');

describe('recordBridgeResponse', () => {
  it('counts a started run once: not for replays, failures or operations that start nothing', () => {
    const samples = recorded((metrics) => {
      recordBridgeResponse(metrics, { op: 'runPipeline', ok: true, replayed: false, latencyMs: 12.5 });
      recordBridgeResponse(metrics, { op: 'runPipeline', ok: true, replayed: true, latencyMs: 1 });
      recordBridgeResponse(metrics, {
        op: 'runPipeline',
        ok: false,
        errorCode: 'conflict',
        replayed: false,
        latencyMs: 2,
      });
      recordBridgeResponse(metrics, { op: 'ping', ok: true, replayed: false, latencyMs: 1 });
    });
    expect(samples.filter((s) => s.name === 'RunsStarted').flatMap((s) => s.values)).toEqual([1]);
    expect(samples.filter((s) => s.name === 'Requests').map((s) => [s.extra, s.values.length])).toEqual(
      expect.arrayContaining([
        [{ operation: 'runPipeline', outcome: 'ok' }, 2],
        [{ operation: 'runPipeline', outcome: 'conflict' }, 1],
        [{ operation: 'ping', outcome: 'ok' }, 1],
      ]),
    );
    expect(
      samples.find((s) => s.name === 'OperationLatency' && s.extra.operation === 'runPipeline')?.values,
    ).toEqual([12.5, 1, 2]);
  });

  it('labels frames that could not be read, and failures without a code', () => {
    const samples = recorded((metrics) =>
      recordBridgeResponse(metrics, { ok: false, replayed: false, latencyMs: 1 }),
    );
    expect(samples.find((s) => s.name === 'Requests')?.extra).toEqual({
      operation: 'unparsed',
      outcome: 'internal',
    });
  });
});

describe('recordHeartbeat', () => {
  it('records zero connections (the disconnected alarm needs it) and the hours the pull credentials hold', () => {
    const samples = recorded((metrics) =>
      recordHeartbeat(metrics, {
        connections: 0,
        ecrCredentialsExpireAt: new Date(now.getTime() + 90 * 60_000),
        now,
      }),
    );
    expect(samples).toEqual(
      expect.arrayContaining([
        { name: 'OpenConnections', extra: {}, values: [0] },
        { name: 'EcrTokenHoursRemaining', extra: {}, values: [1.5] },
      ]),
    );
    expect(hoursLeft(new Date(now.getTime() - 3_600_000), now)).toBe(-1);
  });
});

describe('recordRunReported', () => {
  it('counts final states by state, start failures, and the lag since the state began', () => {
    const samples = recorded((metrics) => {
      recordRunReported(metrics, { pipelineState: 'running', changedAt: now.getTime() - 61_000, now });
      recordRunReported(metrics, {
        pipelineState: 'failed',
        failedBeforeStart: true,
        changedAt: now.getTime() - 5_000,
        now,
      });
      recordRunReported(metrics, { pipelineState: 'success', now });
    });
    expect(
      samples
        .filter((s) => s.name === 'RunsFinished')
        .map((s) => s.extra.state)
        .sort(),
    ).toEqual(['failed', 'success']);
    expect(samples.find((s) => s.name === 'RunsFailedBeforeStart')?.values).toEqual([1]);
    expect(samples.find((s) => s.name === 'ReconciliationLag')?.values).toEqual([61, 5]);
  });
});

describe('recordRegistryRefresh', () => {
  it('records failure as 1 and success as 0, with namespaces, duration and hours left', () => {
    const failed = recorded((metrics) =>
      recordRegistryRefresh(metrics, { ok: false, updated: 2, failed: 1, durationMs: 812.4, now }),
    );
    expect(Object.fromEntries(failed.map((s) => [s.name, s.values]))).toEqual({
      EcrRefreshFailed: [1],
      EcrNamespacesUpdated: [2],
      EcrNamespacesFailed: [1],
      EcrRefreshDuration: [812],
    });
    const ok = recorded((metrics) =>
      recordRegistryRefresh(metrics, {
        ok: true,
        updated: 3,
        failed: 0,
        durationMs: 100,
        expiresAt: new Date(now.getTime() + 12 * 3_600_000),
        now,
      }),
    );
    expect(ok.find((s) => s.name === 'EcrRefreshFailed')?.values).toEqual([0]);
    expect(ok.find((s) => s.name === 'EcrTokenHoursRemaining')?.values).toEqual([12]);
  });
});
