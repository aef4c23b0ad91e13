// $default handler: one response per frame through the sender, idempotent, base64 frames, and a fuzz
// (fast-check) over random JSON and random bytes: never throws, always exactly one well-formed response
// of at most 128 KiB, never the token.
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { MAX_MESSAGE_BYTES, OPERATIONS, responseEnvelopeSchema } from '@hybrid-runner/protocol';
import { rateWindow, type RequestRateLimiter } from '@hybrid-runner/core';
import { RESPONSE_RESERVE_MS, handler as message } from '../../../functions/bridge/message.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { configureRunner } from '../../../functions/lib/runner-context.ts';
import { lambdaContext, TOKEN, useFunctionHarness, webSocketEvent } from './harness.ts';

const h = useFunctionHarness();

async function send(body: string | Buffer, connectionId = 'conn-1') {
  const event =
    typeof body === 'string'
      ? webSocketEvent('$default', { connectionId, body })
      : webSocketEvent('$default', { connectionId, body: body.toString('base64'), isBase64Encoded: true });
  return message(event, lambdaContext());
}

function lastResponse(): Record<string, unknown> {
  const last = h.sent.at(-1);
  if (!last) throw new Error('nothing was sent');
  return JSON.parse(last.text) as Record<string, unknown>;
}

function expectOneWellFormedResponse(before: number): Record<string, unknown> {
  expect(h.sent.length).toBe(before + 1);
  const frame = h.sent.at(-1)!;
  expect(Buffer.byteLength(frame.text)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  expect(frame.text).not.toContain(TOKEN);
  const parsed: unknown = JSON.parse(frame.text);
  expect(responseEnvelopeSchema.safeParse(parsed).success).toBe(true);
  return parsed as Record<string, unknown>;
}

describe('$default', () => {
  it('answers on the same connection', async () => {
    expect(await send(JSON.stringify({ v: 1, id: 'p-1', type: 'ping', payload: {} }), 'conn-42')).toEqual({
      statusCode: 200,
    });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.connectionId).toBe('conn-42');
    expect(lastResponse()).toMatchObject({ id: 'p-1', op: 'ping', ok: true, payload: { pong: true } });
  });

  it('decodes base64 (binary) frames', async () => {
    await send(Buffer.from(JSON.stringify({ v: 1, id: 'b-1', type: 'ping' })));
    expect(lastResponse()).toMatchObject({ id: 'b-1', ok: true });
  });

  it('replays a repeated id without running it again', async () => {
    const run = JSON.stringify({
      v: 1,
      id: 'run-1',
      type: 'runPipeline',
      payload: {
        pipeline: { name: 'p', fullyQualifiedName: 'svc.p', pipelineType: 'metadata' },
        workflowConfig: { source: { type: 'mysql' } },
      },
    });
    await send(run);
    const workflowsAfterFirst = h.cluster.callsOf('create', 'workflows').length;
    await send(run);
    expect(h.sent[1]?.text).toBe(h.sent[0]?.text);
    expect(h.cluster.callsOf('create', 'workflows').length).toBe(workflowsAfterFirst);
    expect(workflowsAfterFirst).toBe(1);
  });

  it('answers cluster_unavailable with the request id when the cluster cannot be reached', async () => {
    h.cluster.reachable = false;
    try {
      await send(
        JSON.stringify({
          v: 1,
          id: 'down-1',
          type: 'runPipeline',
          payload: {
            pipeline: { name: 'p', fullyQualifiedName: 'svc.down', pipelineType: 'metadata' },
            workflowConfig: { source: { type: 'mysql' } },
          },
        }),
      );
      expect(lastResponse()).toMatchObject({
        id: 'down-1',
        ok: false,
        error: { code: 'cluster_unavailable' },
      });
      // Nothing ran, so the claim is released: a retry of the same id runs once the cluster is back.
      expect(h.idempotency.claims.has('down-1')).toBe(false);
      // getServiceStatus reports an unreachable cluster as unhealthy rather than failing.
      await send(JSON.stringify({ v: 1, id: 'down-2', type: 'getServiceStatus', payload: {} }));
      expect(lastResponse()).toMatchObject({ id: 'down-2', ok: true, payload: { status: 'unhealthy' } });
    } finally {
      h.cluster.reachable = true;
    }
  });

  it('answers cluster_unavailable before the function times out when the cluster does not answer', async () => {
    // A blackholed endpoint: each call would wait out its timeouts and retries, past the Lambda timeout.
    const hanging = vi.spyOn(h.cluster, 'create').mockImplementation(() => new Promise(() => {}));
    const warned = vi.spyOn(logger, 'warn');
    try {
      const frame = JSON.stringify({
        v: 1,
        id: 'slow-1',
        type: 'runPipeline',
        payload: {
          pipeline: { name: 'p', fullyQualifiedName: 'svc.slow', pipelineType: 'metadata' },
          workflowConfig: { source: { type: 'mysql' } },
        },
      });
      const started = Date.now();
      const result = await message(
        webSocketEvent('$default', { body: frame }),
        lambdaContext(RESPONSE_RESERVE_MS + 300),
      );
      expect(result).toEqual({ statusCode: 200 });
      expect(Date.now() - started).toBeLessThan(RESPONSE_RESERVE_MS);
      expect(expectOneWellFormedResponse(0)).toMatchObject({
        id: 'slow-1',
        ok: false,
        error: { code: 'cluster_unavailable', message: expect.stringContaining('same id') },
      });
      // The run may still start: the claim stays, so a repeat is not run a second time meanwhile.
      expect(h.idempotency.claims.get('slow-1')).toMatchObject({ status: 'IN_PROGRESS' });
      expect(warned).toHaveBeenCalledWith(expect.stringContaining('before the function timeout'), {
        reserveMs: RESPONSE_RESERVE_MS,
      });
    } finally {
      warned.mockRestore();
      hanging.mockRestore();
    }
  }, 4_000);

  it('still answers (internal, correlation id) when the runner cannot be assembled', async () => {
    const { configureRunner, runnerContext } = await import('../../../functions/lib/runner-context.ts');
    configureRunner(undefined);
    // No environment: building from it fails with the missing variable's name, at invocation time.
    await expect(runnerContext({})).rejects.toThrow(/HYBRID_RUNNER_SETTINGS/);
    configureRunner(undefined);
    const env = process.env.HYBRID_RUNNER_SETTINGS;
    delete process.env.HYBRID_RUNNER_SETTINGS;
    try {
      await send(JSON.stringify({ v: 1, id: 'cold-1', type: 'ping', payload: {} }));
      expect(lastResponse()).toMatchObject({
        id: 'cold-1',
        ok: false,
        error: { code: 'internal', correlationId: expect.any(String) },
      });
    } finally {
      if (env !== undefined) process.env.HYBRID_RUNNER_SETTINGS = env;
      h.install();
    }
  });
});

describe('$default fuzz', () => {
  const runs = 2000;

  it(`random JSON values (${runs} cases): one well-formed response, never the token`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const before = h.sent.length;
        await expect(send(JSON.stringify(value))).resolves.toEqual({ statusCode: 200 });
        expectOneWellFormedResponse(before);
      }),
      { numRuns: runs },
    );
  });

  it(`random bytes (${runs} cases), as text and as binary frames`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (bytes, binary) => {
        const before = h.sent.length;
        const body = binary ? Buffer.from(bytes) : Buffer.from(bytes).toString('latin1');
        await expect(send(body)).resolves.toEqual({ statusCode: 200 });
        expectOneWellFormedResponse(before);
      }),
      { numRuns: runs },
    );
  });

  it(`request-shaped frames carrying the token anywhere (${runs} cases)`, async () => {
    const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), fc.constant(TOKEN), fc.jsonValue());
    const type = fc.oneof(fc.constantFrom(...OPERATIONS), fc.constant(TOKEN), fc.string());
    const payload = fc.oneof(
      fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(TOKEN))),
      fc.record({
        pipeline: fc.record({
          name: fc.oneof(fc.string(), fc.constant(TOKEN)),
          fullyQualifiedName: fc.oneof(fc.string(), fc.constant(TOKEN)),
          pipelineType: fc.oneof(fc.constantFrom('metadata', 'usage'), fc.constant(TOKEN)),
        }),
        workflowConfig: fc.oneof(fc.constant({ securityConfig: { jwtToken: TOKEN } }), fc.constant(TOKEN)),
        runId: fc.oneof(fc.uuid(), fc.constant(TOKEN)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(1, 2, '1'), id, type, payload, async (v, requestId, op, body) => {
        const before = h.sent.length;
        await expect(send(JSON.stringify({ v, id: requestId, type: op, payload: body }))).resolves.toEqual({
          statusCode: 200,
        });
        const response = expectOneWellFormedResponse(before);
        if (typeof requestId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(requestId)) {
          expect(response.id).toBe(requestId);
        }
      }),
      { numRuns: runs },
    );
  }, 60_000);
});

describe('$default with a per-connection rate limit', () => {
  it('answers a throttled frame once, unrun, and counts it in RequestsThrottled and Requests (throttled)', async () => {
    const counts = new Map<string, number>();
    const limiter: RequestRateLimiter = {
      limit: { requests: 1, intervalMs: 60_000 },
      async admit(connectionId, nowMs) {
        const key = `${connectionId}#${rateWindow(nowMs, 60_000).index}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return counts.get(key)! <= 1 ? { admitted: true } : { admitted: false, retryAfterMs: 1234 };
      },
    };
    configureRunner({
      settings: h.settings,
      cluster: h.cluster,
      idempotency: h.idempotency,
      cursor: h.cursor,
      secrets: { exists: async () => true },
      botToken: async () => TOKEN,
      metrics: h.metrics,
      rateLimiter: limiter,
    });
    try {
      const ping = (id: string) => JSON.stringify({ v: 1, id, type: 'ping', payload: {} });
      await send(ping('rl-1'), 'conn-rl');
      expect(lastResponse()).toMatchObject({ id: 'rl-1', ok: true });
      const before = h.sent.length;
      await send(ping('rl-2'), 'conn-rl');
      expect(expectOneWellFormedResponse(before)).toMatchObject({
        id: 'rl-2',
        op: 'ping',
        ok: false,
        error: { code: 'cluster_unavailable', retryAfterMs: 1234 },
      });
      expect(h.idempotency.claims.has('rl-2')).toBe(false);
      // Another connection has its own budget.
      await send(ping('rl-3'), 'conn-other');
      expect(lastResponse()).toMatchObject({ id: 'rl-3', ok: true });

      const published = h.published();
      expect(published.filter((sample) => sample.name === 'RequestsThrottled')).toHaveLength(1);
      expect(published).toContainEqual({
        name: 'Requests',
        dimensions: { operation: 'ping', outcome: 'throttled' },
        value: 1,
      });
    } finally {
      h.install();
    }
  });
});
