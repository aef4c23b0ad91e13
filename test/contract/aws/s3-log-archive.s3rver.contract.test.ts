// S3LogArchive over the wire against s3rver (npm, an S3 implementation written by others, run in-process on
// loopback), and its requests and answers against S3's service model (botocore's, from Debian's
// python3-botocore). s3rver is not S3: it proves the HTTP exchange (ranged GET, Content-Range, NoSuchKey,
// InvalidRange), not S3's IAM, consistency or limits. Where it answers differently from S3 the test says so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LogArchive } from '@hybrid-runner/aws';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { ArchivedObject } from '@hybrid-runner/core';
import { loadServiceModel, operation } from '../../support/aws-models/service-models.ts';
import { startWireTap, type WireTap } from '../../support/wire-tap.ts';

const BUCKET = 'hybrid-runner-logs';
const KEY = 'collate-ingestion/mysql-prod-metadata-abc12/mysql-prod-metadata-abc12-main-3456789012/main.log';
const LOG = Array.from({ length: 2_000 }, (_, i) => `${i} INFO é 😀 line\n`).join('');
const LARGE_BYTES = 6 * 1024 * 1024 + 12_345;

let server: S3rver;
let directory: string;
let client: S3Client;
let archive: S3LogArchive;
let tap: WireTap;
let port: number;
const large = new Uint8Array(LARGE_BYTES);

async function bytesOf(object: ArchivedObject | undefined): Promise<Buffer> {
  if (!object) throw new Error('no object');
  const parts: Uint8Array[] = [];
  for await (const part of object.body) parts.push(part);
  return Buffer.concat(parts);
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'hybrid-runner-s3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  ({ port } = await server.run());
  client = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    // s3rver's own fixed keys; it checks the signature with them.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (let i = 0; i < large.length; i += 1) large[i] = (i * 31 + (i >> 12)) % 251;
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: LOG }));
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'large/main.log', Body: large }));
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'empty/main.log', Body: '' }));
  archive = new S3LogArchive({ bucket: BUCKET, client });
  tap = startWireTap({ ports: () => new Set([port]) });
});

afterAll(async () => {
  tap?.stop();
  client?.destroy();
  await server?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('S3LogArchive against s3rver (an S3 stand-in written by others)', () => {
  const bytes = Buffer.from(LOG);

  it('reads byte ranges, to the end and whole, with the object size', async () => {
    for (const [start, end] of [
      [0, 100],
      [5, 6],
      [1_000, 4_321],
      [bytes.length - 10, bytes.length],
      [bytes.length - 10, bytes.length + 500],
    ] as const) {
      const object = await archive.read(KEY, { start, end });
      expect(object?.size).toBe(bytes.length);
      expect((await bytesOf(object)).equals(bytes.subarray(start, end))).toBe(true);
    }
    expect((await bytesOf(await archive.read(KEY, { start: 777 }))).equals(bytes.subarray(777))).toBe(true);
    expect((await bytesOf(await archive.read(KEY, { start: 0 }))).equals(bytes)).toBe(true);
  });

  it('reads a missing key as undefined, and says so when the bucket itself is missing', async () => {
    expect(await archive.read('collate-ingestion/none/main.log', { start: 0, end: 10 })).toBeUndefined();
    expect(await archive.read('collate-ingestion/none/main.log', { start: 0 })).toBeUndefined();
    const noBucket = new S3LogArchive({ bucket: 'no-such-bucket', client });
    const error = await noBucket.read(KEY, { start: 0, end: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/no-such-bucket does not exist/);
  });

  it('answers a start at or past the end with an empty body and the size (416, then HEAD)', async () => {
    for (const start of [bytes.length, bytes.length + 1, bytes.length + 10_000]) {
      const object = await archive.read(KEY, { start, end: start + 100 });
      expect(object?.size).toBe(bytes.length);
      expect((await bytesOf(object)).length).toBe(0);
    }
    const past = await archive.read(KEY, { start: bytes.length + 5 });
    expect(past?.size).toBe(bytes.length);
  });

  it('serves an empty object as empty, whole or by range', async () => {
    const whole = await archive.read('empty/main.log', { start: 0 });
    expect(whole?.size).toBe(0);
    expect((await bytesOf(whole)).length).toBe(0);
    // s3rver answers `bytes=0-99` on an empty object with 206 `bytes 0-0/0` and one byte; S3 answers 416
    // (RFC 9110: no range of an empty representation is satisfiable). The adapter yields nothing either way.
    const ranged = await archive.read('empty/main.log', { start: 0, end: 100 });
    expect(ranged?.size).toBe(0);
    expect((await bytesOf(ranged)).length).toBe(0);
  });

  it('reads a large object page by page, each page its own range, and puts it back together exactly', async () => {
    const page = 256 * 1024;
    const before = tap.exchanges.length;
    const pages: Buffer[] = [];
    for (let start = 0; ; start += page) {
      const object = await archive.read('large/main.log', { start, end: start + page });
      expect(object?.size).toBe(LARGE_BYTES);
      const part = await bytesOf(object);
      if (part.length === 0) break;
      pages.push(part);
    }
    expect(Buffer.concat(pages).equals(Buffer.from(large))).toBe(true);
    await tap.settled();
    const gets = tap.exchanges.slice(before).filter((exchange) => exchange.method === 'GET');
    expect(gets.length).toBe(Math.ceil(LARGE_BYTES / page) + 1);
    // No answer but the last (416) carries more than its page.
    for (const exchange of gets.slice(0, -1)) {
      expect(Number(exchange.responseHeaders['content-length'])).toBeLessThanOrEqual(page);
    }
  });

  it("sends and gets what S3's service model (botocore) says GetObject and HeadObject do", async () => {
    const model = loadServiceModel('s3');
    const getObject = operation(model, 'GetObject');
    const headObject = operation(model, 'HeadObject');
    const input = model.shapes[getObject.input!.shape]!.members!;
    const output = model.shapes[getObject.output!.shape]!.members!;
    expect(input['Range']).toMatchObject({ location: 'header', locationName: 'Range' });
    expect(output['ContentRange']).toMatchObject({ location: 'header', locationName: 'Content-Range' });
    expect(getObject.http).toMatchObject({ method: 'GET', requestUri: '/{Bucket}/{Key+}' });
    expect(headObject.http).toMatchObject({ method: 'HEAD', requestUri: '/{Bucket}/{Key+}' });
    const modelledErrors = (getObject.errors ?? []).map((error) => error.shape);

    const before = tap.exchanges.length;
    await bytesOf(await archive.read(KEY, { start: 10, end: 20 }));
    await archive.read('missing/main.log', { start: 0, end: 20 });
    await archive.read(KEY, { start: bytes.length + 1, end: bytes.length + 9 });
    await tap.settled();
    const [ranged, missing, pastEnd, head] = tap.exchanges.slice(before);
    const objectPath = `/${BUCKET}/${KEY.split('/').map(encodeURIComponent).join('/')}`;
    expect(ranged).toMatchObject({ method: 'GET', path: `${objectPath}?x-id=GetObject`, status: 206 });
    expect(ranged?.headers['range']).toBe('bytes=10-19');
    expect(ranged?.responseHeaders['content-range']).toBe(`bytes 10-19/${bytes.length}`);
    expect(missing).toMatchObject({ method: 'GET', status: 404 });
    const missingCode = /<Code>([^<]+)<\/Code>/.exec(missing?.responseBody.toString() ?? '')?.[1];
    expect(missingCode).toBe('NoSuchKey');
    expect(modelledErrors).toContain(missingCode);
    // InvalidRange is one of S3's documented error codes, not a modelled GetObject error: the adapter keys on
    // the 416 status as well as the code.
    expect(pastEnd).toMatchObject({ method: 'GET', status: 416 });
    expect(/<Code>([^<]+)<\/Code>/.exec(pastEnd?.responseBody.toString() ?? '')?.[1]).toBe('InvalidRange');
    expect(modelledErrors).not.toContain('InvalidRange');
    expect(head).toMatchObject({ method: 'HEAD', path: objectPath, status: 200 });
    expect(Number(head?.responseHeaders['content-length'])).toBe(bytes.length);
  });
});
