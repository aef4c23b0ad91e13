// An in-memory stand-in for the log archive port (S3 in AWS): objects by key, served by byte range as S3's
// ranged GetObject does. It proves nothing about S3 itself; the S3 adapter has its own contract test (s3rver).
import type { ArchivedObject, LogArchive } from '@hybrid-runner/core';

export class MemoryLogArchive implements LogArchive {
  readonly objects = new Map<string, Uint8Array>();
  /** Every range asked for, to show which reads seeked. */
  readonly reads: Array<{ key: string; start: number; end?: number }> = [];

  put(key: string, content: string | Uint8Array): void {
    this.objects.set(key, typeof content === 'string' ? new TextEncoder().encode(content) : content);
  }

  async read(key: string, range: { start: number; end?: number }): Promise<ArchivedObject | undefined> {
    this.reads.push({ key, ...range });
    const object = this.objects.get(key);
    if (!object) return undefined;
    const body = object.subarray(
      Math.min(range.start, object.length),
      Math.min(range.end ?? object.length, object.length),
    );
    return {
      size: object.length,
      body: (async function* () {
        for (let offset = 0; offset < body.length; offset += 64 * 1024)
          yield body.subarray(offset, offset + 64 * 1024);
      })(),
    };
  }
}
