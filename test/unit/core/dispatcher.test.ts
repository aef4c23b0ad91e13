// The dispatcher against a fake operations object and the in-memory idempotency store: one response per
// frame, errors mapped to protocol codes, each request id executed once.
import { describe, expect, it, vi } from 'vitest';
import {
  ClusterUnavailableError,
  NotFoundError,
  createDispatcher,
  redactSecrets,
  type Clock,
  type DispatcherOptions,
  type IdempotencyStore,
  type Operations,
} from '@hybrid-runner/core';
import { InMemoryIdempotencyStore } from '@hybrid-runner/local';
import { OPERATIONS, errorResponseSchema, responseEnvelopeSchema } from '@hybrid-runner/protocol';

const pipeline = { name: 'ingest', fullyQualifiedName: 'svc.ingest', pipelineType: 'metadata' };

function fakeOperations(overrides: Partial<Operations> = {}): Operations {
  const ok = { code: 200 as const };
  return {
    ping: async () => ({ pong: true, agentId: 'RemoteRunner', version: '0.1.0' }),
    getServiceStatus: async () => ({ code: 200, status: 'healthy', platform: 'Argo', version: '0.1.0' }),
    deployPipeline: async () => ({ code: 200, platform: 'Argo' }),
    runPipeline: async () => ({ code: 200, runId: 'run-1', workflowName: 'svc-ingest-run1' }),
    killIngestion: async () => ok,
    toggleIngestion: async () => ok,
    deletePipeline: async () => ok,
    getPipelineStatus: async () => ({ runs: [] }),
    getIngestionLogs: async () => ({ ingestion_task: 'log', total: 1 }),
    runAutomationsWorkflow: async () => ({ code: 200, runId: 'a-1', workflowName: 'auto-1' }),
    runApplicationFlow: async () => ({ code: 200, runId: 'p-1', workflowName: 'app-1' }),
    ...overrides,
  } as Operations;
}

let correlation = 0;
function dispatcher(overrides: Partial<DispatcherOptions> = {}) {
  return createDispatcher({
    operations: fakeOperations(),
    idempotency: new InMemoryIdempotencyStore(),
    clock: { now: () => new Date() },
    ids: { runId: () => 'run', correlationId: () => `corr-${++correlation}` },
    sleep: async () => {},
    ...overrides,
  });
}

const frame = (id: string, type: string, payload: unknown = {}) =>
  JSON.stringify({ v: 1, id, type, payload });

describe('dispatcher', () => {
  it('tells the operation which request asked (runPipeline derives its run id from it)', async () => {
    const runPipeline = vi.fn(async () => ({ code: 200 as const, runId: 'run-1', workflowName: 'wf' }));
    await dispatcher({ operations: fakeOperations({ runPipeline }) }).handleFrame(
      frame('c0ffee-42', 'runPipeline', { pipeline }),
    );
    expect(runPipeline).toHaveBeenCalledWith(expect.objectContaining({ pipeline }), {
      requestId: 'c0ffee-42',
    });
  });

  it('answers ping with the operation result', async () => {
    const result = await dispatcher().handleFrame(frame('p-1', 'ping'));
    expect(result.response).toEqual({
      v: 1,
      id: 'p-1',
      type: 'response',
      op: 'ping',
      ok: true,
      payload: { pong: true, agentId: 'RemoteRunner', version: '0.1.0' },
    });
    expect(JSON.parse(result.text)).toEqual(result.response);
    expect(result.replayed).toBe(false);
  });

  it.each([...OPERATIONS])('routes %s to its operation with the validated payload', async (op) => {
    const seen: unknown[] = [];
    const operations = fakeOperations();
    const spy = vi.fn(async (payload: unknown) => {
      seen.push(payload);
      return (operations[op] as (p: unknown) => Promise<unknown>)(payload);
    });
    const payloads: Record<string, unknown> = {
      deployPipeline: { pipeline, workflowConfig: { source: {} } },
      runPipeline: { pipeline },
      killIngestion: { pipeline },
      toggleIngestion: { pipeline },
      deletePipeline: { pipeline },
      getPipelineStatus: { pipeline },
      getIngestionLogs: { pipeline },
      runAutomationsWorkflow: {
        workflow: { id: 'w', name: 'w', workflowType: 'TEST_CONNECTION', request: {} },
      },
      runApplicationFlow: { application: { name: 'app' } },
    };
    const result = await dispatcher({ operations: { ...operations, [op]: spy } as Operations }).handleFrame(
      frame(`id-${op}`, op, payloads[op] ?? {}),
    );
    expect(spy).toHaveBeenCalledTimes(1);
    expect(result.response).toMatchObject({ id: `id-${op}`, op, ok: true });
    expect(responseEnvelopeSchema.safeParse(result.response).success).toBe(true);
  });

  it('tells which pipeline and run a request concerned, the minted run id included', async () => {
    const pipeline = { name: 'p', fullyQualifiedName: 'svc.p', pipelineType: 'metadata' };
    const run = await dispatcher().handleFrame(frame('r-1', 'runPipeline', { pipeline }));
    expect(run.subject).toEqual({ pipeline: 'svc.p', runId: 'run-1' });
    const kill = await dispatcher().handleFrame(frame('k-1', 'killIngestion', { pipeline, runId: 'run-9' }));
    expect(kill.subject).toEqual({ pipeline: 'svc.p', runId: 'run-9' });
    expect((await dispatcher().handleFrame(frame('p-2', 'ping'))).subject).toEqual({});
  });

  it('answers a malformed frame with bad_request and id null', async () => {
    const result = await dispatcher().handleFrame('{not json');
    expect(result.response).toMatchObject({ id: null, ok: false, error: { code: 'bad_request' } });
    expect(errorResponseSchema.safeParse(result.response).success).toBe(true);
  });

  it('answers an unknown operation with unknown_operation and the id', async () => {
    const result = await dispatcher().handleFrame(frame('u-1', 'launchRockets'));
    expect(result.response).toMatchObject({ id: 'u-1', ok: false, error: { code: 'unknown_operation' } });
  });

  it('maps runner errors to their protocol code and message', async () => {
    const operations = fakeOperations({
      killIngestion: async () => {
        throw new NotFoundError('No pipeline svc.ingest is deployed: deploy it first.');
      },
    });
    const result = await dispatcher({ operations }).handleFrame(frame('k-1', 'killIngestion', { pipeline }));
    expect(result.response).toMatchObject({
      id: 'k-1',
      op: 'killIngestion',
      ok: false,
      error: { code: 'not_found', message: 'No pipeline svc.ingest is deployed: deploy it first.' },
    });
  });

  it('turns an unexpected error into internal with a correlation id, never its message', async () => {
    const reports: unknown[] = [];
    const operations = fakeOperations({
      runPipeline: async () => {
        throw new Error('connection string postgres://admin:hunter2@db failed');
      },
    });
    const result = await dispatcher({
      operations,
      onUnexpectedError: (report) => reports.push(report),
    }).handleFrame(frame('r-1', 'runPipeline', { pipeline }));
    expect(result.response).toMatchObject({ id: 'r-1', ok: false, error: { code: 'internal' } });
    expect(result.text).not.toContain('hunter2');
    const correlationId = (result.response as { error: { correlationId: string } }).error.correlationId;
    expect(result.text).toContain(correlationId);
    expect(reports).toEqual([
      expect.objectContaining({ correlationId, requestId: 'r-1', op: 'runPipeline' }),
    ]);
  });

  it('executes a repeated request id once and replays the same response', async () => {
    const run = vi.fn(async () => ({ code: 200 as const, runId: crypto.randomUUID(), workflowName: 'wf' }));
    const d = dispatcher({ operations: fakeOperations({ runPipeline: run }) });
    const first = await d.handleFrame(frame('dup-1', 'runPipeline', { pipeline }));
    const second = await d.handleFrame(frame('dup-1', 'runPipeline', { pipeline }));
    expect(run).toHaveBeenCalledTimes(1);
    expect(second.text).toBe(first.text);
    expect(second.replayed).toBe(true);
  });

  it('runs concurrent duplicates once; the duplicate waits for and gets the first response', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = vi.fn(async () => {
      await gate;
      return { code: 200 as const, runId: 'only-once', workflowName: 'wf' };
    });
    const d = dispatcher({
      operations: fakeOperations({ runPipeline: run }),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      pollIntervalMs: 5,
    });
    const first = d.handleFrame(frame('c-1', 'runPipeline', { pipeline }));
    const second = d.handleFrame(frame('c-1', 'runPipeline', { pipeline }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(run).toHaveBeenCalledTimes(1);
    expect(b.text).toBe(a.text);
  });

  it('answers conflict when a duplicate is still running after the wait', async () => {
    let nowMs = 0;
    const clock: Clock = { now: () => new Date(nowMs) };
    const idempotency = new InMemoryIdempotencyStore();
    await idempotency.claim('slow-1', 'other-process', { nowMs: 0, lockMs: 60_000, retainSeconds: 60 });
    const d = dispatcher({
      idempotency,
      clock,
      inProgressWaitMs: 1000,
      sleep: async (ms) => void (nowMs += ms),
    });
    // Same id, but the fingerprint differs from the claim above: reuse of an id is a conflict at once.
    expect((await d.handleFrame(frame('slow-1', 'ping'))).response).toMatchObject({
      error: { code: 'conflict', message: expect.stringContaining('use a new id') },
    });
    const fingerprint = (await import('@hybrid-runner/core')).requestFingerprint({
      v: 1,
      id: 'slow-2',
      type: 'ping',
      payload: {},
    });
    await idempotency.claim('slow-2', fingerprint, { nowMs: 0, lockMs: 60_000, retainSeconds: 60 });
    const waited = await d.handleFrame(frame('slow-2', 'ping'));
    expect(waited.response).toMatchObject({
      error: { code: 'conflict', message: expect.stringContaining('still being processed') },
    });
    expect(nowMs).toBeGreaterThanOrEqual(1000);
  });

  it('answers conflict when an id is reused for a different request', async () => {
    const d = dispatcher();
    await d.handleFrame(frame('reuse-1', 'runPipeline', { pipeline }));
    const other = await d.handleFrame(frame('reuse-1', 'deletePipeline', { pipeline }));
    expect(other.response).toMatchObject({ id: 'reuse-1', ok: false, error: { code: 'conflict' } });
  });

  it('lets a retry run again after cluster_unavailable (nothing was done)', async () => {
    const run = vi
      .fn<() => Promise<{ code: 200; runId: string; workflowName: string }>>()
      .mockRejectedValueOnce(new ClusterUnavailableError('The cluster did not answer: retry in a minute.'))
      .mockResolvedValue({ code: 200, runId: 'r', workflowName: 'wf' });
    const d = dispatcher({ operations: fakeOperations({ runPipeline: run }) });
    expect((await d.handleFrame(frame('retry-1', 'runPipeline', { pipeline }))).response).toMatchObject({
      error: { code: 'cluster_unavailable' },
    });
    expect((await d.handleFrame(frame('retry-1', 'runPipeline', { pipeline }))).response).toMatchObject({
      ok: true,
    });
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('answers internal when the idempotency store cannot be reached, running nothing', async () => {
    const run = vi.fn();
    const broken: IdempotencyStore = {
      claim: async () => {
        throw new Error('ECONNREFUSED');
      },
      complete: async () => {},
      release: async () => {},
    };
    const result = await dispatcher({
      idempotency: broken,
      operations: fakeOperations({ runPipeline: run }),
    }).handleFrame(frame('store-1', 'runPipeline', { pipeline }));
    expect(result.response).toMatchObject({ id: 'store-1', error: { code: 'internal' } });
    expect(run).not.toHaveBeenCalled();
  });

  it('still sends the real response when remembering it fails', async () => {
    const memory = new InMemoryIdempotencyStore();
    const reports: unknown[] = [];
    const result = await dispatcher({
      idempotency: {
        claim: (...args) => memory.claim(...args),
        complete: async () => {
          throw new Error('throttled');
        },
        release: async () => {},
      },
      onUnexpectedError: (report) => reports.push(report),
    }).handleFrame(frame('complete-1', 'ping'));
    expect(result.response).toMatchObject({ ok: true });
    expect(reports).toHaveLength(1);
  });

  it('bounds an oversized result to payload_too_large', async () => {
    const operations = fakeOperations({
      getIngestionLogs: async () => ({ ingestion_task: 'x'.repeat(200 * 1024), total: 1 }),
    });
    const result = await dispatcher({ operations }).handleFrame(
      frame('big-1', 'getIngestionLogs', { pipeline }),
    );
    expect(result.response).toMatchObject({ id: 'big-1', ok: false, error: { code: 'payload_too_large' } });
    expect(JSON.parse(result.text)).toEqual(result.response);
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(128 * 1024);
  });

  it('redacts the bot token from any response, even when the client sent it', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.the-bot-token.sig';
    const operations = fakeOperations({
      killIngestion: async () => {
        throw new NotFoundError(`No pipeline ${token} is deployed: deploy it first.`);
      },
    });
    const result = await dispatcher({ operations, secretValues: () => [token] }).handleFrame(
      frame('redact-1', 'killIngestion', { pipeline: { ...pipeline, fullyQualifiedName: token } }),
    );
    expect(result.text).not.toContain(token);
    expect(result.response).toMatchObject({
      error: { message: 'No pipeline [redacted] is deployed: deploy it first.' },
    });
  });
});

describe('redactSecrets', () => {
  it('replaces JSON-escaped occurrences and ignores values too short to be secrets', () => {
    const text = JSON.stringify({ a: 'pa"ss\\word-123', b: 'abc' });
    expect(redactSecrets(text, ['pa"ss\\word-123', 'abc'])).toBe('{"a":"[redacted]","b":"abc"}');
  });
});
