// S3LogArchive against aws-sdk-client-mock (answers as S3 documents them); the contract test against s3rver
// (test/contract/aws/s3-log-archive.s3rver.contract.test.ts) checks the same calls over the wire.
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3LogArchive, parseContentRange } from '@hybrid-runner/aws';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { ArchivedObject } from '@hybrid-runner/core';

const s3 = mockClient(S3Client);
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const archive = new S3LogArchive({
  bucket: 'runner-logs',
  client: new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_KEY },
  }),
});
const LOG = 'line one\nline two\nline three\n';

function s3Error(name: string, status: number) {
  return Object.assign(new Error(`${name} from the mock`), { name, $metadata: { httpStatusCode: status } });
}

function streamOf(text: string, chunk = 4): Readable & { destroyed: boolean } {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
}

async function text(object: ArchivedObject | undefined): Promise<string> {
  if (!object) throw new Error('no object');
  const parts: Uint8Array[] = [];
  for await (const part of object.body) parts.push(part);
  return Buffer.concat(parts).toString();
}

beforeEach(() => s3.reset());

describe('S3LogArchive (aws-sdk-client-mock)', () => {
  it('asks for bytes=start-(end-1) and takes the size from Content-Range', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: streamOf(LOG.slice(5, 14)) as never,
      ContentRange: `bytes 5-13/${LOG.length}`,
      ContentLength: 9,
    });
    const object = await archive.read('ns/wf/pod/main.log', { start: 5, end: 14 });
    expect(object?.size).toBe(LOG.length);
    expect(await text(object)).toBe(LOG.slice(5, 14));
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'runner-logs',
      Key: 'ns/wf/pod/main.log',
      Range: 'bytes=5-13',
    });
  });

  it('asks for an open range to the end, and for no range at all for the whole object', async () => {
    s3.on(GetObjectCommand, { Range: 'bytes=10-' })
      .resolves({
        Body: streamOf(LOG.slice(10)) as never,
        ContentRange: `bytes 10-${LOG.length - 1}/${LOG.length}`,
      })
      .on(GetObjectCommand, { Range: undefined })
      .resolves({ Body: streamOf(LOG) as never, ContentLength: LOG.length });
    expect(await text(await archive.read('k', { start: 10 }))).toBe(LOG.slice(10));
    const whole = await archive.read('k', { start: 0 });
    expect(whole?.size).toBe(LOG.length);
    expect(await text(whole)).toBe(LOG);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Range)).toEqual([
      'bytes=10-',
      undefined,
    ]);
  });

  it('serves exactly the range when the server ignored it and sent the whole object (200)', async () => {
    s3.on(GetObjectCommand).resolves({ Body: streamOf(LOG) as never, ContentLength: LOG.length });
    const object = await archive.read('k', { start: 9, end: 17 });
    expect(object?.size).toBe(LOG.length);
    expect(await text(object)).toBe('line two');
  });

  it('reads a missing key as undefined (NoSuchKey on GET, NotFound on HEAD)', async () => {
    s3.on(GetObjectCommand)
      .rejects(s3Error('NoSuchKey', 404))
      .on(HeadObjectCommand)
      .rejects(s3Error('NotFound', 404));
    expect(await archive.read('gone', { start: 0, end: 10 })).toBeUndefined();
    expect(await archive.read('gone', { start: 4, end: 4 })).toBeUndefined();
  });

  it('answers a start at or past the end (416) with an empty body and the size from HEAD', async () => {
    s3.on(GetObjectCommand)
      .rejects(s3Error('InvalidRange', 416))
      .on(HeadObjectCommand)
      .resolves({ ContentLength: LOG.length });
    const object = await archive.read('k', { start: LOG.length + 50, end: LOG.length + 100 });
    expect(object?.size).toBe(LOG.length);
    expect(await text(object)).toBe('');
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'runner-logs', Key: 'k' });
  });

  it('never sends an empty range (S3 would answer it with the whole object): HEAD for the size', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 7 });
    const object = await archive.read('k', { start: 3, end: 3 });
    expect(object?.size).toBe(7);
    expect(await text(object)).toBe('');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('stops at the range even when the server sends more (an empty object answered `bytes 0-0/0`)', async () => {
    s3.on(GetObjectCommand).resolves({ Body: streamOf('x') as never, ContentRange: 'bytes 0-0/0' });
    const object = await archive.read('k', { start: 0, end: 100 });
    expect(object?.size).toBe(0);
    expect(await text(object)).toBe('');
  });

  it('releases the stream when the reader stops early', async () => {
    const body = streamOf(LOG, 2);
    s3.on(GetObjectCommand).resolves({
      Body: body as never,
      ContentRange: `bytes 0-${LOG.length - 1}/${LOG.length}`,
    });
    const object = await archive.read('k', { start: 0, end: LOG.length });
    for await (const _part of object?.body ?? []) break;
    expect(body.destroyed).toBe(true);
  });

  it('reports other faults as ClusterUnavailableError with what to do, the cause, and no credentials', async () => {
    s3.on(GetObjectCommand)
      .rejectsOnce(s3Error('AccessDenied', 403))
      .rejectsOnce(s3Error('NoSuchBucket', 404))
      .rejects(s3Error('InternalError', 500));
    const errors = [];
    for (let i = 0; i < 3; i += 1)
      errors.push(await archive.read('ns/k', { start: 0, end: 9 }).catch((e: unknown) => e));
    expect(errors.every((error) => error instanceof ClusterUnavailableError)).toBe(true);
    const [denied, noBucket, internal] = errors as ClusterUnavailableError[];
    expect(denied?.message).toMatch(/allow s3:GetObject.*s3:ListBucket/);
    expect(noBucket?.message).toMatch(/runner-logs does not exist/);
    expect(internal?.message).toMatch(/InternalError, HTTP 500\): retry later/);
    expect((internal?.cause as Error).name).toBe('InternalError');
    for (const error of errors) {
      expect(JSON.stringify({ message: (error as Error).message })).not.toContain(SECRET_KEY);
      expect((error as Error).message).not.toContain('AKIA');
    }
  });

  it('rejects a range that is not whole bytes from 0', async () => {
    await expect(archive.read('k', { start: -1 })).rejects.toThrow(RangeError);
    await expect(archive.read('k', { start: 1.5 })).rejects.toThrow(RangeError);
  });

  it('parses Content-Range as S3 writes it, and nothing else', () => {
    expect(parseContentRange('bytes 0-99/1234')).toEqual({ first: 0, last: 99, size: 1234 });
    expect(parseContentRange('bytes */1234')).toBeUndefined();
    expect(parseContentRange(undefined)).toBeUndefined();
  });
});
