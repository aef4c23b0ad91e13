// Core's LogArchive on S3: Argo's archived container logs (`archiveLogs` in its S3 artifact repository), read
// by ranged GetObject so that a page of a large log costs its own bytes, not the whole object. Only the client
// and the two commands are imported: @aws-sdk/client-s3's aggregated client would pull every command into the
// message function's bundle.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { ArchivedObject, LogArchive } from '@hybrid-runner/core';

export interface S3LogArchiveOptions {
  /** The artifact repository's bucket (LOG_ARCHIVE_BUCKET). */
  bucket: string;
  /** A ready client; its standard retryer handles throttling, 5xx and timeouts. */
  client: S3Client;
}

interface S3Fault {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as S3Fault | undefined)?.$metadata?.httpStatusCode;
}

/** `bytes 0-99/1234` → the first byte, the last byte and the whole object's size. */
export function parseContentRange(
  header: string | undefined,
): { first: number; last: number; size: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { first: Number(match[1]), last: Number(match[2]), size: Number(match[3]) };
}

const EMPTY: AsyncIterable<Uint8Array> = {
  async *[Symbol.asyncIterator]() {},
};

/**
 * Yields `count` bytes of `body` after dropping `skip`, and stops there: a server that answered a ranged read
 * with the whole object (200), or with more than the range (an empty object's `bytes 0-0/0`), still yields
 * exactly the range. The stream is destroyed when the reader stops early, so its socket goes back to the pool.
 */
async function* exactly(
  body: AsyncIterable<Uint8Array> & { destroy?: () => void },
  skip: number,
  count: number,
): AsyncGenerator<Uint8Array> {
  let toSkip = skip;
  let left = count;
  try {
    for await (const chunk of body) {
      if (left <= 0) break;
      let bytes = chunk;
      if (toSkip > 0) {
        if (toSkip >= bytes.length) {
          toSkip -= bytes.length;
          continue;
        }
        bytes = bytes.subarray(toSkip);
        toSkip = 0;
      }
      if (bytes.length > left) bytes = bytes.subarray(0, left);
      left -= bytes.length;
      yield bytes;
    }
  } finally {
    // A no-op once the stream has ended; releases the socket when the reader stopped early.
    body.destroy?.();
  }
}

export class S3LogArchive implements LogArchive {
  readonly #bucket: string;
  readonly #client: S3Client;

  constructor(options: S3LogArchiveOptions) {
    this.#bucket = options.bucket;
    this.#client = options.client;
  }

  async read(key: string, range: { start: number; end?: number }): Promise<ArchivedObject | undefined> {
    const { start, end } = range;
    if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && !Number.isSafeInteger(end))) {
      throw new RangeError(`S3LogArchive.read: bad range ${JSON.stringify(range)} (whole bytes from 0).`);
    }
    // An empty range cannot be asked for (`bytes=5-4` is invalid, and S3 answers an invalid range with the
    // whole object): only the size is needed.
    if (end !== undefined && end <= start) return this.#sizeOnly(key);
    // The whole object needs no Range: a plain GET also serves an empty object, which no range satisfies.
    const rangeHeader =
      start === 0 && end === undefined ? undefined : `bytes=${start}-${end === undefined ? '' : end - 1}`;
    let response;
    try {
      response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ...(rangeHeader ? { Range: rangeHeader } : {}),
        }),
      );
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      // 416: the range starts at or past the end of the object; S3's answer carries no size, HEAD has it.
      if (statusOf(error) === 416 || (error as S3Fault).name === 'InvalidRange') return this.#sizeOnly(key);
      throw this.#failure('read', key, error);
    }
    const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    const contentRange = parseContentRange(response.ContentRange);
    // 206 names the part it sent; 200 (range ignored, or no range asked) sends the whole object.
    const size = contentRange?.size ?? response.ContentLength ?? 0;
    const sentFrom = contentRange?.first ?? 0;
    const stop = Math.min(end ?? size, size);
    const count = Math.max(0, stop - start);
    if (!body || count === 0) {
      body?.destroy?.();
      return { size, body: EMPTY };
    }
    return { size, body: exactly(body, Math.max(0, start - sentFrom), count) };
  }

  async #sizeOnly(key: string): Promise<ArchivedObject | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: head.ContentLength ?? 0, body: EMPTY };
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw this.#failure('size', key, error);
    }
  }

  /** What went wrong, with what to do; the SDK's error (never credentials: it holds none) is the cause. */
  #failure(what: 'read' | 'size', key: string, error: unknown): ClusterUnavailableError {
    const status = statusOf(error);
    const name = (error as S3Fault | undefined)?.name ?? 'unknown error';
    const where = `s3://${this.#bucket}/${key}`;
    if (status === 403 || name === 'AccessDenied') {
      return new ClusterUnavailableError(
        `The runner may not ${what === 'read' ? 'read' : 'look up'} the archived log ${where} (AccessDenied): ` +
          "allow s3:GetObject on the bucket's log prefix (and s3:ListBucket, or a missing log reads as denied) " +
          "in the message function's IAM role.",
        { cause: error },
      );
    }
    if (name === 'NoSuchBucket') {
      return new ClusterUnavailableError(
        `The log archive bucket ${this.#bucket} does not exist: deploy the stack again (logs.archive) or fix ` +
          'LOG_ARCHIVE_BUCKET.',
        { cause: error },
      );
    }
    return new ClusterUnavailableError(
      `Could not ${what === 'read' ? 'read' : 'look up'} the archived log ${where} (${name}` +
        `${status !== undefined ? `, HTTP ${status}` : ''}): retry later.`,
      { cause: error },
    );
  }
}

/** GetObject says NoSuchKey; HeadObject has no body, so its 404 is NotFound. A missing bucket is not this. */
function isMissingKey(error: unknown): boolean {
  const name = (error as S3Fault | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}
