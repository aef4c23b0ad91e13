// S3LogArchive with the real S3 client (its standard retryer and error parsing) against a loopback HTTP server
// that answers as S3 does when it throttles, fails or has no such key. Separate from the aws-sdk-client-mock
// suite, whose mock replaces every S3Client's send.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3LogArchive } from '@hybrid-runner/aws';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { ArchivedObject } from '@hybrid-runner/core';

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

async function text(object: ArchivedObject | undefined): Promise<string> {
  if (!object) throw new Error('no object');
  const parts: Uint8Array[] = [];
  for await (const part of object.body) parts.push(part);
  return Buffer.concat(parts).toString();
}

describe('S3LogArchive with a real S3 client against a loopback server that fails on purpose', () => {
  const requests: string[] = [];
  let answers: Array<(response: ServerResponse) => void> = [];
  let server: Server;
  let client: S3Client;

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(`${request.method} ${request.headers.range ?? ''}`);
      request.resume();
      const answer = answers.shift() ?? ((r: ServerResponse) => r.writeHead(500).end());
      answer(response);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    client = new S3Client({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_KEY },
    });
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((done) => server.close(done));
  });
  beforeEach(() => {
    requests.length = 0;
    answers = [];
  });

  const xmlError = (status: number, code: string) => (response: ServerResponse) =>
    response
      .writeHead(status, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`);

  it("retries throttling and 5xx with the SDK's standard retryer, then serves the range", async () => {
    answers = [
      xmlError(503, 'SlowDown'),
      xmlError(500, 'InternalError'),
      (response) =>
        response.writeHead(206, { 'content-range': 'bytes 2-5/12', 'content-length': '4' }).end('llo '),
    ];
    const object = await new S3LogArchive({ bucket: 'b', client }).read('k', { start: 2, end: 6 });
    expect(object?.size).toBe(12);
    expect(await text(object)).toBe('llo ');
    expect(requests).toEqual(['GET bytes=2-5', 'GET bytes=2-5', 'GET bytes=2-5']);
  });

  it('gives up after the retryer’s attempts with a ClusterUnavailableError that says to retry later', async () => {
    answers = [xmlError(503, 'SlowDown'), xmlError(503, 'SlowDown'), xmlError(503, 'SlowDown')];
    const error = await new S3LogArchive({ bucket: 'b', client })
      .read('k', { start: 0, end: 4 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/SlowDown, HTTP 503\): retry later/);
    expect((error as Error).message).not.toContain(SECRET_KEY);
    expect(requests).toHaveLength(3);
  });

  it('does not retry a missing key', async () => {
    answers = [xmlError(404, 'NoSuchKey')];
    expect(await new S3LogArchive({ bucket: 'b', client }).read('k', { start: 0, end: 4 })).toBeUndefined();
    expect(requests).toHaveLength(1);
  });
});
