import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  OPERATIONS,
  PIPELINE_TYPES,
  operationPayloadSchemas,
  parseFrame,
} from '@hybrid-runner/protocol';
import type { ErrorCode, OperationName } from '@hybrid-runner/protocol';

const pipeline = { name: 'ingest', fullyQualifiedName: 'mysql_prod.ingest', pipelineType: 'metadata' };

function frame(fields: Record<string, unknown>): string {
  return JSON.stringify({ v: 1, id: 'req-1', type: 'runPipeline', payload: { pipeline }, ...fields });
}

/** A frame of exactly `bytes` UTF-8 bytes, padded inside an unknown pipeline field. */
function frameOfBytes(bytes: number, pad = 'x'): string {
  const base = frame({ payload: { pipeline: { ...pipeline, padding: '' } } });
  const missing = bytes - Buffer.byteLength(base);
  const padBytes = Buffer.byteLength(pad);
  const text = frame({
    payload: { pipeline: { ...pipeline, padding: pad.repeat(Math.floor(missing / padBytes)) } },
  });
  return text + ' '.repeat(bytes - Buffer.byteLength(text));
}

interface BadFrameCase {
  kind: string;
  frame: unknown;
  code: ErrorCode;
  id: string | null;
  message?: RegExp;
}

const badFrames: BadFrameCase[] = [
  { kind: 'not JSON', frame: '{"v":1,', code: 'bad_request', id: null, message: /not valid JSON/ },
  { kind: 'empty frame', frame: '', code: 'bad_request', id: null },
  {
    kind: 'bytes that are not UTF-8',
    frame: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    code: 'bad_request',
    id: null,
  },
  { kind: 'a number, not a frame', frame: 42, code: 'bad_request', id: null, message: /not text/ },
  { kind: 'undefined', frame: undefined, code: 'bad_request', id: null },
  { kind: 'JSON array', frame: '[1,2]', code: 'bad_request', id: null, message: /not a JSON object/ },
  { kind: 'JSON null', frame: 'null', code: 'bad_request', id: null },
  { kind: 'JSON string', frame: '"ping"', code: 'bad_request', id: null },
  {
    kind: 'missing id',
    frame: frame({ id: undefined }),
    code: 'bad_request',
    id: null,
    message: /^id is required/,
  },
  { kind: 'numeric id', frame: frame({ id: 7 }), code: 'bad_request', id: null, message: /^id must be/ },
  { kind: 'empty id', frame: frame({ id: '' }), code: 'bad_request', id: null },
  { kind: 'id too long', frame: frame({ id: 'a'.repeat(129) }), code: 'bad_request', id: null },
  { kind: 'id with a space', frame: frame({ id: 'a b' }), code: 'bad_request', id: null },
  { kind: 'id with a slash', frame: frame({ id: 'a/b' }), code: 'bad_request', id: null },
  { kind: 'id with non-ASCII', frame: frame({ id: 'café' }), code: 'bad_request', id: null },
  { kind: 'wrong v', frame: frame({ v: 2 }), code: 'unsupported_version', id: 'req-1' },
  { kind: 'v as a string', frame: frame({ v: '1' }), code: 'unsupported_version', id: 'req-1' },
  {
    kind: 'missing v',
    frame: frame({ v: undefined }),
    code: 'bad_request',
    id: 'req-1',
    message: /^v is required/,
  },
  { kind: 'unknown type', frame: frame({ type: 'launchMissiles' }), code: 'unknown_operation', id: 'req-1' },
  {
    kind: 'type of another case',
    frame: frame({ type: 'RunPipeline' }),
    code: 'unknown_operation',
    id: 'req-1',
  },
  { kind: 'missing type', frame: frame({ type: undefined }), code: 'bad_request', id: 'req-1' },
  {
    kind: 'missing fullyQualifiedName',
    frame: frame({ payload: { pipeline: { name: 'a', pipelineType: 'metadata' } } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.pipeline\.fullyQualifiedName is required/,
  },
  {
    kind: 'missing pipeline',
    frame: frame({ payload: {} }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.pipeline is required/,
  },
  {
    kind: 'missing payload of runPipeline',
    frame: frame({ payload: undefined }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.pipeline is required/,
  },
  {
    kind: 'payload not an object',
    frame: frame({ payload: 'run it' }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload must be an object/,
  },
  {
    kind: 'pipelineType not a known type',
    frame: frame({ payload: { pipeline: { ...pipeline, pipelineType: 'sorcery' } } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.pipeline\.pipelineType must be one of "metadata"/,
  },
  {
    kind: 'enabled mistyped',
    frame: frame({ type: 'toggleIngestion', payload: { pipeline: { ...pipeline, enabled: 'yes' } } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.pipeline\.enabled must be a boolean/,
  },
  {
    kind: 'scheduleInterval mistyped',
    frame: frame({ payload: { pipeline: { ...pipeline, airflowConfig: { scheduleInterval: 5 } } } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.pipeline\.airflowConfig\.scheduleInterval must be a string/,
  },
  {
    kind: 'limit zero',
    frame: frame({ type: 'getPipelineStatus', payload: { pipeline, limit: 0 } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.limit must be at least 1/,
  },
  {
    kind: 'limit too big',
    frame: frame({ type: 'getPipelineStatus', payload: { pipeline, limit: 100_000 } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.limit must be at most 1000/,
  },
  {
    kind: 'limit not an integer',
    frame: frame({ type: 'getPipelineStatus', payload: { pipeline, limit: 2.5 } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.limit must be an integer/,
  },
  {
    kind: 'deployPipeline without workflowConfig',
    frame: frame({ type: 'deployPipeline', payload: { pipeline } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.workflowConfig is required/,
  },
  {
    kind: 'workflowConfig a number',
    frame: frame({ type: 'deployPipeline', payload: { pipeline, workflowConfig: 3 } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.workflowConfig must be an object or a/,
  },
  {
    kind: 'runId with bad characters',
    frame: frame({ payload: { pipeline, runId: '../../etc' } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.runId must be 1–128 characters/,
  },
  {
    kind: 'automation workflow without workflowType',
    frame: frame({ type: 'runAutomationsWorkflow', payload: { workflow: { name: 'tc', request: {} } } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.workflow\.workflowType is required/,
  },
  {
    kind: 'application without name',
    frame: frame({ type: 'runApplicationFlow', payload: { application: {} } }),
    code: 'bad_request',
    id: 'req-1',
    message: /^payload\.application\.name is required/,
  },
  {
    kind: 'oversized string',
    frame: frameOfBytes(MAX_MESSAGE_BYTES + 1),
    code: 'payload_too_large',
    id: null,
  },
  {
    kind: 'oversized only in UTF-8 bytes (fewer characters than the limit)',
    frame: frameOfBytes(MAX_MESSAGE_BYTES + 3, 'é'),
    code: 'payload_too_large',
    id: null,
  },
  {
    kind: 'oversized bytes',
    frame: Buffer.from(frameOfBytes(MAX_MESSAGE_BYTES + 1)),
    code: 'payload_too_large',
    id: null,
  },
  { kind: '10 MB of garbage', frame: 'z'.repeat(10 * 1024 * 1024), code: 'payload_too_large', id: null },
];

describe('parseFrame: every kind of bad frame gets its error code', () => {
  it.each(badFrames)('$kind → $code', ({ frame: input, code, id, message }) => {
    const parsed = parseFrame(input);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe(code);
    expect(parsed.id).toBe(id);
    if (message) expect(parsed.error.message).toMatch(message);
    // Every message is for people: it says what to do, and it stays short.
    expect(parsed.error.message.length).toBeGreaterThan(20);
    expect(parsed.error.message.length).toBeLessThan(600);
  });

  it('echoes the operation once the type is known', () => {
    const parsed = parseFrame(frame({ type: 'getPipelineStatus', payload: { pipeline, limit: -1 } }));
    expect(parsed).toMatchObject({ ok: false, id: 'req-1', op: 'getPipelineStatus' });
    const unknown = parseFrame(frame({ type: 'launchMissiles' }));
    expect(unknown.ok === false && 'op' in unknown).toBe(false);
  });

  it('never echoes a field value, even a secret-looking one', () => {
    const secret = 'eyJhbGciOiJSUzI1NiJ9.SECRET-TOKEN-VALUE';
    const frames = [
      frame({
        payload: { pipeline: { ...pipeline, fullyQualifiedName: 7, name: secret, pipelineType: secret } },
      }),
      frame({ type: secret }),
      frame({ v: secret }),
      frame({ id: `${secret} ` }),
      frame({ payload: { pipeline, runId: secret + '/' } }),
      `{"v":1,"id":"x","type":"ping","payload":${JSON.stringify(secret)}}`,
      `{"token":"${secret}"`,
    ];
    for (const text of frames) {
      const parsed = parseFrame(text);
      expect(parsed.ok).toBe(false);
      expect(JSON.stringify(parsed)).not.toContain('SECRET-TOKEN-VALUE');
    }
  });

  it('accepts a frame of exactly 128 KiB and rejects one byte more', () => {
    expect(parseFrame(frameOfBytes(MAX_MESSAGE_BYTES)).ok).toBe(true);
    expect(parseFrame(frameOfBytes(MAX_MESSAGE_BYTES + 1))).toMatchObject({
      ok: false,
      error: { code: 'payload_too_large' },
    });
  });

  it('lists several problems at once, bounded', () => {
    const parsed = parseFrame(frame({ payload: { pipeline: { pipelineType: 1 } } }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.message).toContain('payload.pipeline.name is required');
    expect(parsed.error.message).toContain('payload.pipeline.fullyQualifiedName is required');
    expect(parsed.error.message).toContain('payload.pipeline.pipelineType must be one of');
  });
});

describe('parseFrame: valid frames', () => {
  it('reads text, Buffer, ArrayBuffer and fragment arrays alike', () => {
    const text = frame({});
    const bytes = Buffer.from(text);
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const fragments = [bytes.subarray(0, 10), bytes.subarray(10)];
    for (const input of [text, bytes, arrayBuffer, fragments, new Uint8Array(bytes)]) {
      const parsed = parseFrame(input);
      expect(parsed).toMatchObject({ ok: true, request: { id: 'req-1', type: 'runPipeline' } });
    }
  });

  it('keeps unknown pipeline fields, drops unknown envelope and payload fields', () => {
    const parsed = parseFrame(
      frame({
        trace: 'abc',
        payload: {
          pipeline: { ...pipeline, sourceConfig: { config: { type: 'Metadata' } } },
          futureField: 1,
        },
      }),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.request.type !== 'runPipeline') return;
    expect(parsed.request.payload.pipeline['sourceConfig']).toEqual({ config: { type: 'Metadata' } });
    expect(parsed.request.payload).not.toHaveProperty('futureField');
    expect(parsed.request).not.toHaveProperty('trace');
  });

  it('does not let __proto__ keys reach an object prototype', () => {
    const parsed = parseFrame(
      '{"v":1,"id":"a","__proto__":{"x":1},"type":"runPipeline","payload":{"__proto__":{"y":1},' +
        '"pipeline":{"__proto__":{"polluted":true},"name":"a","fullyQualifiedName":"b","pipelineType":"metadata"}}}',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.request.type !== 'runPipeline') return;
    const pipelineOut = parsed.request.payload.pipeline;
    expect(Object.getPrototypeOf(pipelineOut)).toBe(Object.prototype);
    expect(pipelineOut['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('drops __proto__ keys inside free-form values too, however the key is escaped', () => {
    const parsed = parseFrame(
      '{"v":1,"id":"a","type":"runAutomationsWorkflow","payload":{"workflow":{"name":"t",' +
        '"workflowType":"TEST_CONNECTION","request":{"a":{"__proto__":[]},"b":{"\\u005f_proto__":{"x":1},"keep":1}}}}}',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.request.type !== 'runAutomationsWorkflow') return;
    const request = parsed.request.payload.workflow.request as Record<string, Record<string, unknown>>;
    expect(Object.hasOwn(request['a']!, '__proto__')).toBe(false);
    expect(Object.hasOwn(request['b']!, '__proto__')).toBe(false);
    expect(request['b']).toEqual({ keep: 1 });
  });

  it('ignores a leading byte order mark in text and in bytes', () => {
    const text = `\uFEFF${frame({})}`;
    expect(parseFrame(text).ok).toBe(true);
    expect(parseFrame(Buffer.from(text)).ok).toBe(true);
  });

  it('treats a missing payload of ping as {}', () => {
    expect(parseFrame('{"v":1,"id":"p","type":"ping"}')).toEqual({
      ok: true,
      request: { v: 1, id: 'p', type: 'ping', payload: {} },
    });
  });

  it('accepts ids of every allowed character up to 128 long', () => {
    for (const id of ['a', 'c0ffee-42', 'A.b_c:d-e', '9'.repeat(128)]) {
      expect(parseFrame(frame({ id }))).toMatchObject({ ok: true, request: { id } });
    }
  });

  it('accepts a null schedule and time zone, as Collate sends for an on-demand pipeline', () => {
    const onDemand = { ...pipeline, airflowConfig: { scheduleInterval: null, pipelineTimezone: null } };
    expect(
      parseFrame(frame({ type: 'deployPipeline', payload: { pipeline: onDemand, workflowConfig: {} } })),
    ).toMatchObject({
      ok: true,
      request: {
        payload: { pipeline: { airflowConfig: { scheduleInterval: null, pipelineTimezone: null } } },
      },
    });
  });

  it('accepts the workflow config as an object or as text', () => {
    for (const workflowConfig of [{ source: { type: 'mysql' } }, 'source:\n  type: mysql\n']) {
      expect(parseFrame(frame({ type: 'deployPipeline', payload: { pipeline, workflowConfig } })).ok).toBe(
        true,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties.

const PROPERTY_RUNS = 1000;

describe('parseFrame properties', () => {
  it('never throws and always answers with a known error code on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (input) => {
        const parsed = parseFrame(input);
        if (!parsed.ok) expect(typeof parsed.error.message).toBe('string');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const parsed = parseFrame(Buffer.from(bytes));
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('never throws on arbitrary JSON values and envelope-shaped objects', () => {
    const envelopeLike = fc.record(
      {
        v: fc.oneof(fc.constant(1), fc.jsonValue()),
        id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), fc.jsonValue()),
        type: fc.oneof(fc.constantFrom(...OPERATIONS), fc.string()),
        payload: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), envelopeLike, fc.anything()), (value) => {
        const text = JSON.stringify(value);
        const parsed = parseFrame(text);
        expect(typeof parsed.ok).toBe('boolean');
        expect(typeof parseFrame(value).ok).toBe('boolean');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
  const pipelineArb = fc.record(
    {
      name: fc.string({ minLength: 1 }),
      fullyQualifiedName: fc.string({ minLength: 1 }),
      pipelineType: fc.constantFrom(...PIPELINE_TYPES),
      enabled: fc.boolean(),
      airflowConfig: fc.record(
        { scheduleInterval: fc.constantFrom('@daily', '0 * * * *'), pipelineTimezone: fc.constant('UTC') },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['name', 'fullyQualifiedName', 'pipelineType'] },
  );
  const payloads: { [Op in OperationName]: fc.Arbitrary<Record<string, unknown>> } = {
    ping: fc.constant({}),
    getServiceStatus: fc.constant({}),
    deployPipeline: fc.record({
      pipeline: pipelineArb,
      workflowConfig: fc.oneof(fc.string({ minLength: 1 }), fc.dictionary(fc.string(), fc.jsonValue())),
    }),
    runPipeline: fc.record({ pipeline: pipelineArb, runId: id }, { requiredKeys: ['pipeline'] }),
    killIngestion: fc.record({ pipeline: pipelineArb, runId: id }, { requiredKeys: ['pipeline'] }),
    toggleIngestion: fc.record({ pipeline: pipelineArb }),
    deletePipeline: fc.record({ pipeline: pipelineArb }),
    getPipelineStatus: fc.record(
      { pipeline: pipelineArb, limit: fc.integer({ min: 1, max: 1000 }) },
      { requiredKeys: ['pipeline'] },
    ),
    getIngestionLogs: fc.record(
      { pipeline: pipelineArb, runId: id, after: fc.string({ minLength: 1, maxLength: 64 }) },
      { requiredKeys: ['pipeline'] },
    ),
    runAutomationsWorkflow: fc.record({
      workflow: fc.record({
        name: fc.string({ minLength: 1 }),
        workflowType: fc.constant('TEST_CONNECTION'),
        request: fc.dictionary(fc.string(), fc.jsonValue()),
      }),
    }),
    runApplicationFlow: fc.record({ application: fc.record({ name: fc.string({ minLength: 1 }) }) }),
  };
  const validRequest = fc
    .constantFrom(...OPERATIONS)
    .chain((type) => fc.record({ v: fc.constant(1), id, type: fc.constant(type), payload: payloads[type] }));

  it('round-trips valid generated requests of every operation', () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        // JSON first, so the comparison is against what actually travels (e.g. -0 becomes 0), less the
        // `__proto__` keys parseFrame drops at every depth (see the __proto__ test above).
        const wire = JSON.parse(JSON.stringify(request), (key, value: unknown) =>
          key === '__proto__' ? undefined : value,
        ) as typeof request;
        const parsed = parseFrame(JSON.stringify(request));
        expect(parsed).toEqual({ ok: true, request: wire });
        // And the validators agree with parseFrame.
        expect(operationPayloadSchemas[request.type].safeParse(wire.payload).success).toBe(true);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('a valid request with one required field removed is a bad_request naming that field', () => {
    fc.assert(
      fc.property(
        validRequest.filter((r) => 'pipeline' in r.payload),
        fc.constantFrom('name', 'fullyQualifiedName', 'pipelineType'),
        (request, field) => {
          const pipelineCopy = { ...(request.payload['pipeline'] as Record<string, unknown>) };
          delete pipelineCopy[field];
          const parsed = parseFrame(
            JSON.stringify({ ...request, payload: { ...request.payload, pipeline: pipelineCopy } }),
          );
          expect(parsed).toMatchObject({ ok: false, id: request.id, error: { code: 'bad_request' } });
          if (!parsed.ok) expect(parsed.error.message).toContain(`payload.pipeline.${field} is required`);
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('never repeats a field value in an error, wherever the value sits', () => {
    // The marker is neither a valid id nor an operation name, so it can only appear if a value is echoed.
    const marker = 'S3CRET VALUE';
    const leaf = fc.oneof(fc.constant(marker), fc.integer(), fc.boolean(), fc.constant(null));
    const blob = fc.dictionary(fc.constantFrom('name', 'fullyQualifiedName', 'pipelineType', 'x'), leaf);
    const anyOf = <T>(valid: fc.Arbitrary<T>) => fc.oneof(valid, leaf, blob);
    const request = fc.record(
      {
        v: anyOf(fc.constant(1)),
        id: anyOf(id),
        type: anyOf(fc.constantFrom(...OPERATIONS)),
        payload: fc.oneof(
          leaf,
          fc.record(
            {
              pipeline: anyOf(pipelineArb),
              runId: anyOf(id),
              limit: anyOf(fc.integer({ min: 1, max: 1000 })),
              after: leaf,
              workflowConfig: leaf,
              workflow: blob,
              application: blob,
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(request, (value) => {
        const parsed = parseFrame(JSON.stringify(value));
        if (!parsed.ok) expect(JSON.stringify(parsed)).not.toContain(marker);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});

describe('parseFrame: acceptErrorCodes (extension error codes the sender understands)', () => {
  const ping = (extra: Record<string, unknown>) =>
    JSON.stringify({ v: 1, id: 'p-1', type: 'ping', payload: {}, ...extra });

  it('keeps the known extension codes a sender lists, on success and on failure alike', () => {
    expect(parseFrame(ping({ acceptErrorCodes: ['throttled', 'future-code'] }))).toMatchObject({
      ok: true,
      acceptErrorCodes: ['throttled'],
    });
    const bad = parseFrame(
      JSON.stringify({ v: 1, id: 'p-2', type: 'runPipeline', payload: {}, acceptErrorCodes: ['throttled'] }),
    );
    expect(bad).toMatchObject({ ok: false, acceptErrorCodes: ['throttled'] });
  });

  it('ignores a missing, empty or malformed list rather than failing the request', () => {
    for (const extra of [
      {},
      { acceptErrorCodes: [] },
      { acceptErrorCodes: 'throttled' },
      { acceptErrorCodes: [1, null] },
    ]) {
      const parsed = parseFrame(ping(extra));
      expect(parsed.ok).toBe(true);
      expect(parsed).not.toHaveProperty('acceptErrorCodes');
    }
  });

  it('does not carry the list into the request (the fingerprint and operations never see it)', () => {
    const parsed = parseFrame(ping({ acceptErrorCodes: ['throttled'] }));
    expect(parsed.ok && Object.keys(parsed.request).sort()).toEqual(['id', 'payload', 'type', 'v']);
  });
});
