// The per-connection rate limit as core enforces it: a throttled frame is answered before anything runs or
// any id is claimed, with `throttled` only for a sender that accepts it and the v1 stand-in otherwise.
import { describe, expect, it, vi } from 'vitest';
import {
  createDispatcher,
  rateWindow,
  throttledResponse,
  type Admission,
  type Operations,
  type RateLimit,
  type RequestRateLimiter,
} from '@hybrid-runner/core';
import { InMemoryIdempotencyStore } from '@hybrid-runner/local';
import { V1_ERROR_CODES, errorResponseSchema, parseFrame } from '@hybrid-runner/protocol';

const LIMIT: RateLimit = { requests: 2, intervalMs: 1000 };

/** A limiter counting per connection and fixed window in memory (the DynamoDB one is tested on dynalite). */
function countingLimiter(limit = LIMIT): RequestRateLimiter & { calls: string[] } {
  const counts = new Map<string, number>();
  const calls: string[] = [];
  return {
    limit,
    calls,
    async admit(connectionId, nowMs): Promise<Admission> {
      calls.push(connectionId);
      const { index, endsAtMs } = rateWindow(nowMs, limit.intervalMs);
      const key = `${connectionId}#${index}`;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return count <= limit.requests
        ? { admitted: true }
        : { admitted: false, retryAfterMs: endsAtMs - nowMs };
    },
  };
}

const pipeline = { name: 'ingest', fullyQualifiedName: 'svc.ingest', pipelineType: 'metadata' };
const run = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, id, type: 'runPipeline', payload: { pipeline }, ...extra });

function setup(now: { ms: number }, limiter: RequestRateLimiter = countingLimiter()) {
  const runPipeline = vi.fn(async () => ({ code: 200 as const, runId: 'run-1', workflowName: 'wf-1' }));
  const idempotency = new InMemoryIdempotencyStore();
  const dispatcher = createDispatcher({
    operations: { runPipeline } as unknown as Operations,
    idempotency,
    clock: { now: () => new Date(now.ms) },
    ids: { runId: () => 'run', correlationId: () => 'corr' },
    sleep: async () => {},
    rateLimiter: limiter,
  });
  return { dispatcher, runPipeline, idempotency };
}

describe('rateWindow', () => {
  it('numbers fixed windows the same on every instance and says when each ends', () => {
    expect(rateWindow(10_250, 1000)).toEqual({ index: 10, endsAtMs: 11_000 });
    expect(rateWindow(10_999, 1000)).toEqual({ index: 10, endsAtMs: 11_000 });
    expect(rateWindow(11_000, 1000)).toEqual({ index: 11, endsAtMs: 12_000 });
  });
});

describe('throttledResponse', () => {
  it('says throttled to a sender that accepts it, with when to retry', () => {
    const response = throttledResponse(
      parseFrame(run('r-1', { acceptErrorCodes: ['throttled'] })),
      LIMIT,
      400.2,
    );
    expect(response).toMatchObject({
      id: 'r-1',
      op: 'runPipeline',
      ok: false,
      error: { code: 'throttled', retryAfterMs: 401 },
    });
    expect(response.ok || response.error.message).toMatch(/not run.*same id in 0\.4 s/);
  });

  it('gives a v1 client a v1 code (cluster_unavailable), keeping the retry hint, as a well-formed v1 error', () => {
    for (const frame of [
      run('r-2'),
      run('r-3', { acceptErrorCodes: ['something-else'] }),
      run('r-4', { acceptErrorCodes: 'throttled' }),
    ]) {
      const response = throttledResponse(parseFrame(frame), LIMIT, 1000);
      expect(response.ok).toBe(false);
      if (response.ok) return;
      expect(V1_ERROR_CODES).toContain(response.error.code);
      expect(response.error).toMatchObject({ code: 'cluster_unavailable', retryAfterMs: 1000 });
      expect(errorResponseSchema.safeParse(response).success).toBe(true);
    }
  });

  it('answers a frame without a usable id with id null', () => {
    expect(throttledResponse(parseFrame('not json'), LIMIT, 10)).toMatchObject({ id: null, ok: false });
  });
});

describe('dispatcher with a rate limit', () => {
  it('runs up to the limit, then answers without running or remembering the id; the same id runs later', async () => {
    const now = { ms: 5_000 };
    const { dispatcher, runPipeline, idempotency } = setup(now);
    const source = { connectionId: 'c-1' };
    expect((await dispatcher.handleFrame(run('a'), source)).response.ok).toBe(true);
    expect((await dispatcher.handleFrame(run('b'), source)).response.ok).toBe(true);
    const refused = await dispatcher.handleFrame(run('c', { acceptErrorCodes: ['throttled'] }), source);
    expect(refused.throttled).toBe(true);
    expect(refused.response).toMatchObject({
      id: 'c',
      ok: false,
      error: { code: 'throttled', retryAfterMs: 1000 },
    });
    expect(runPipeline).toHaveBeenCalledTimes(2);
    expect(idempotency.claims.has('c')).toBe(false);

    now.ms += 1000; // the next window
    const retried = await dispatcher.handleFrame(run('c'), source);
    expect(retried.response.ok).toBe(true);
    expect(retried.replayed).toBe(false);
    expect(runPipeline).toHaveBeenCalledTimes(3);
  });

  it('counts per connection, and not at all for a frame without a source', async () => {
    const now = { ms: 0 };
    const limiter = countingLimiter({ requests: 1, intervalMs: 60_000 });
    const { dispatcher } = setup(now, limiter);
    expect((await dispatcher.handleFrame(run('x1'), { connectionId: 'c-1' })).throttled).toBeUndefined();
    expect((await dispatcher.handleFrame(run('x2'), { connectionId: 'c-2' })).throttled).toBeUndefined();
    expect((await dispatcher.handleFrame(run('x3'), { connectionId: 'c-1' })).throttled).toBe(true);
    expect((await dispatcher.handleFrame(run('x4'))).throttled).toBeUndefined();
    expect(limiter.calls).toEqual(['c-1', 'c-2', 'c-1']);
  });

  it('counts unreadable frames too, and throttles them', async () => {
    const now = { ms: 0 };
    const { dispatcher } = setup(now, countingLimiter({ requests: 1, intervalMs: 1000 }));
    const first = await dispatcher.handleFrame('garbage', { connectionId: 'c-1' });
    expect(first.response).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const second = await dispatcher.handleFrame('garbage', { connectionId: 'c-1' });
    expect(second.throttled).toBe(true);
    expect(second.response).toMatchObject({ id: null, ok: false, error: { code: 'cluster_unavailable' } });
  });

  it('serves the frame when the limiter fails, and reports the fault', async () => {
    const onRateLimiterFault = vi.fn();
    const runPipeline = vi.fn(async () => ({ code: 200 as const, runId: 'run-1', workflowName: 'wf-1' }));
    const dispatcher = createDispatcher({
      operations: { runPipeline } as unknown as Operations,
      idempotency: new InMemoryIdempotencyStore(),
      clock: { now: () => new Date() },
      ids: { runId: () => 'run', correlationId: () => 'corr' },
      rateLimiter: {
        limit: LIMIT,
        admit: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      },
      onRateLimiterFault,
    });
    const result = await dispatcher.handleFrame(run('f-1'), { connectionId: 'c-1' });
    expect(result.response.ok).toBe(true);
    expect(onRateLimiterFault).toHaveBeenCalledOnce();
  });
});
