import { describe, expect, it } from 'vitest';
import {
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_MESSAGE_BYTES,
  MessageTooLargeError,
  boundResponse,
  V1_ERROR_CODES,
  errorForSender,
  errorResponse,
  errorResponseSchema,
  eventMessage,
  eventSchemaFor,
  okResponse,
  okResponseSchemaFor,
  serializeBounded,
} from '@hybrid-runner/protocol';

describe('message builders', () => {
  it('builds an ok response that the protocol validator accepts', () => {
    const message = okResponse('c0ffee-42', 'runPipeline', {
      code: 200,
      runId: '5d3c6a4e-1f0e-4b7e-9d8f-0a1b2c3d4e5f',
      workflowName: 'ingest-mysql-5d3c6a4e',
    });
    expect(message).toEqual({
      v: 1,
      id: 'c0ffee-42',
      type: 'response',
      op: 'runPipeline',
      ok: true,
      payload: {
        code: 200,
        runId: '5d3c6a4e-1f0e-4b7e-9d8f-0a1b2c3d4e5f',
        workflowName: 'ingest-mysql-5d3c6a4e',
      },
    });
    expect(okResponseSchemaFor('runPipeline').safeParse(message).success).toBe(true);
  });

  it('builds error responses with and without an id and operation, as the protocol writes them', () => {
    const withOp = errorResponse('c0ffee-42', 'runPipeline', {
      code: 'bad_request',
      message: 'payload.pipeline.fullyQualifiedName is required',
    });
    expect(withOp).toEqual({
      v: 1,
      id: 'c0ffee-42',
      type: 'response',
      op: 'runPipeline',
      ok: false,
      error: { code: 'bad_request', message: 'payload.pipeline.fullyQualifiedName is required' },
    });
    const anonymous = errorResponse(null, undefined, { code: 'bad_request', message: 'not JSON' });
    expect(anonymous).not.toHaveProperty('op');
    expect(anonymous.id).toBeNull();
    for (const message of [withOp, anonymous])
      expect(errorResponseSchema.safeParse(message).success).toBe(true);
  });

  it('caps error messages so an error response always fits a frame', () => {
    const message = errorResponse('x', 'ping', { code: 'internal', message: '€'.repeat(100_000) });
    expect(message.error.message.length).toBe(MAX_ERROR_MESSAGE_LENGTH);
    expect(Buffer.byteLength(serializeBounded(message))).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it('builds events that the protocol validators accept', () => {
    const status = eventMessage('pipelineStatus', {
      pipelineFQN: 'mysql_prod.ingest',
      runId: 'r1',
      pipelineState: 'failed',
      workflowName: 'ingest-r1',
      reason: 'ImagePullBackOff: the registry credentials have expired',
      timestamp: 1_764_300_000_000,
    });
    expect(status).toMatchObject({ v: 1, type: 'event', event: 'pipelineStatus' });
    expect(status).not.toHaveProperty('id');
    expect(eventSchemaFor('pipelineStatus').safeParse(status).success).toBe(true);
    const runner = eventMessage('runnerStatus', {
      agentId: 'RemoteRunner',
      status: 'active',
      version: '0.1.0',
      connections: 1,
      ecrCredentialsExpireAt: '2026-11-28T15:00:00.000Z',
    });
    expect(eventSchemaFor('runnerStatus').safeParse(runner).success).toBe(true);
  });
});

describe('serializeBounded', () => {
  const logs = (bytes: number) =>
    okResponse('logs-1', 'getIngestionLogs', { ingestion_task: 'l'.repeat(bytes), total: 3, after: 'c2' });

  it('serializes a message within the limit unchanged', () => {
    const message = logs(1000);
    expect(JSON.parse(serializeBounded(message))).toEqual(message);
  });

  it('keeps a response of exactly 128 KiB and replaces one of a byte more', () => {
    const overhead = Buffer.byteLength(JSON.stringify(logs(0)));
    const exact = serializeBounded(logs(MAX_MESSAGE_BYTES - overhead));
    expect(Buffer.byteLength(exact)).toBe(MAX_MESSAGE_BYTES);
    expect(JSON.parse(exact)).toMatchObject({ ok: true });

    const over = serializeBounded(logs(MAX_MESSAGE_BYTES - overhead + 1));
    expect(Buffer.byteLength(over)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const replaced = JSON.parse(over) as unknown;
    expect(errorResponseSchema.safeParse(replaced).success).toBe(true);
    expect(replaced).toMatchObject({
      id: 'logs-1',
      op: 'getIngestionLogs',
      ok: false,
      error: { code: 'payload_too_large' },
    });
    expect(over).toMatch(/131073 bytes, above the 131072-byte/);
    expect(over).not.toContain('lll');
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = '日'.repeat(50_000); // 50 000 characters, 150 000 bytes
    const serialized = serializeBounded(
      okResponse('u', 'getIngestionLogs', { ingestion_task: text, total: 1 }),
    );
    expect(JSON.parse(serialized)).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
  });

  it('refuses an oversized event with a clear error rather than sending it', () => {
    const event = eventMessage('pipelineStatus', {
      pipelineFQN: 'p',
      runId: 'r',
      pipelineState: 'failed',
      workflowName: 'w',
      reason: 'r'.repeat(MAX_MESSAGE_BYTES),
      timestamp: 0,
    });
    expect(() => serializeBounded(event)).toThrow(MessageTooLargeError);
    expect(() => serializeBounded(event)).toThrow(/pipelineStatus event message is \d+ bytes/);
  });

  it('boundResponse reports what it sends, so callers never parse the text back', () => {
    const small = okResponse('b-1', 'deletePipeline', { code: 200 });
    expect(boundResponse(small)).toEqual({ text: JSON.stringify(small), response: small, replaced: false });
    const big = boundResponse(logs(MAX_MESSAGE_BYTES));
    expect(big.replaced).toBe(true);
    expect(big.response).toMatchObject({ id: 'logs-1', ok: false, error: { code: 'payload_too_large' } });
    expect(JSON.parse(big.text)).toEqual(big.response);
  });

  it('drops an invalid, huge id rather than exceed the limit with the replacement', () => {
    const message = okResponse('i'.repeat(MAX_MESSAGE_BYTES), 'ping', {
      pong: true,
      agentId: 'a',
      version: '1',
    });
    const bounded = boundResponse(message);
    expect(Buffer.byteLength(bounded.text)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(bounded.response).toMatchObject({ id: null, op: 'ping', error: { code: 'payload_too_large' } });
  });
});

describe('errorForSender', () => {
  const throttled = { code: 'throttled' as const, message: 'slow down', retryAfterMs: 250 };

  it('keeps an extension code for a sender that accepts it', () => {
    expect(errorForSender(throttled, ['throttled'])).toEqual(throttled);
  });

  it('gives any other sender the v1 stand-in, keeping message and the new optional field', () => {
    const forV1 = errorForSender(throttled);
    expect(forV1).toEqual({ ...throttled, code: 'cluster_unavailable' });
    expect(V1_ERROR_CODES).toContain(forV1.code);
    expect(errorResponseSchema.safeParse(errorResponse('r-1', 'ping', forV1)).success).toBe(true);
  });

  it('leaves v1 codes alone', () => {
    expect(errorForSender({ code: 'conflict', message: 'm' })).toEqual({ code: 'conflict', message: 'm' });
  });
});
