import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '@hybrid-runner/protocol';
import {
  BadRequestError,
  chunkLogStream,
  chunkLogText,
  decodeLogCursor,
  encodeLogCursor,
  iterateLogChunks,
  jsonStringBytes,
  logTaskKey,
  redactSecretEdges,
  logTextBudget,
} from '@hybrid-runner/core';
import type { LogPage } from '@hybrid-runner/core';

const TASK = 'ingestion_task';
const LONGEST_ID = 'i'.repeat(128);

/** The getIngestionLogs response exactly as the bridge protocol writes it, with the longest allowed id. */
function envelopeBytes(page: LogPage, taskKey = TASK): number {
  const payload = { [taskKey]: page.text, total: page.total, ...(page.after ? { after: page.after } : {}) };
  const message = { v: 1, id: LONGEST_ID, type: 'response', op: 'getIngestionLogs', ok: true, payload };
  return Buffer.byteLength(JSON.stringify(message));
}

/** Splits bytes at arbitrary places, including inside multi-byte code points. */
async function* splitBytes(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
  yield bytes.subarray(from);
}

async function allPages(
  source: () => AsyncIterable<Uint8Array> | Iterable<string>,
  options: { maxMessageBytes?: number; scope?: string } = {},
): Promise<LogPage[]> {
  const pages: LogPage[] = [];
  let after: string | undefined;
  do {
    const page = await chunkLogStream(source(), { taskKey: TASK, ...options, ...(after ? { after } : {}) });
    pages.push(page);
    after = page.after;
    if (pages.length > 100_000) throw new Error('cursor loop');
  } while (after);
  return pages;
}

describe('jsonStringBytes', () => {
  it('matches JSON.stringify for every kind of code unit', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'grapheme' }),
          // Any UTF-16 code unit, so lone surrogates too.
          fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
        ),
        (text) => {
          expect(jsonStringBytes(text)).toBe(Buffer.byteLength(JSON.stringify(text)) - 2);
        },
      ),
      { numRuns: 300 },
    );
    for (const text of ['\u0000\u001f"\\\n\t\u007f', '\ud800', 'a\udc00b', '😀é€']) {
      expect(jsonStringBytes(text)).toBe(Buffer.byteLength(JSON.stringify(text)) - 2);
    }
  });
});

describe('logTaskKey', () => {
  it('maps pipeline types to the task keys the OpenMetadata UI reads', () => {
    expect(logTaskKey('metadata')).toBe('ingestion_task');
    expect(logTaskKey('autoClassification')).toBe('auto_classification_task');
    expect(logTaskKey('elasticSearchReindex')).toBe('elasticsearch_reindex_task');
    expect(logTaskKey('TestSuite')).toBe('test_suite_task');
  });
});

describe('chunkLogStream', () => {
  it('serves an empty log as one empty chunk', async () => {
    expect(await chunkLogText('', { taskKey: TASK })).toEqual({ text: '', total: 1 });
  });

  it('serves a small log in one chunk without a cursor', async () => {
    expect(await chunkLogText('line 1\nline 2\n', { taskKey: TASK })).toEqual({
      text: 'line 1\nline 2\n',
      total: 1,
    });
  });

  it('packs a large escape-heavy log into full chunks that stay under 128 KiB each', async () => {
    const line = 'ERROR "quoted" \\path\\ \u0001\u0002 tab\t é 😀 \n';
    const text = line.repeat(40_000); // ~1.9 MB of text, ~3 MB once escaped
    const pages = await allPages(() => [text]);
    expect(pages.map((p) => p.text).join('')).toBe(text);
    expect(pages.every((p) => p.total === pages.length)).toBe(true);
    const budget = logTextBudget(TASK);
    for (const page of pages) {
      expect(envelopeBytes(page)).toBeLessThan(MAX_MESSAGE_BYTES);
      expect(jsonStringBytes(page.text)).toBeLessThanOrEqual(budget);
    }
    // Greedy packing: every chunk but the last is within a few bytes of the budget.
    for (const page of pages.slice(0, -1)) expect(jsonStringBytes(page.text)).toBeGreaterThan(budget - 6);
    expect(pages.at(-1)?.after).toBeUndefined();
  });

  it('replaces invalid UTF-8 with U+FFFD instead of failing', async () => {
    const bytes = new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82]);
    const page = await chunkLogStream(splitBytes(bytes, [2]), { taskKey: TASK });
    expect(page.text).toBe('a\ufffdb\ufffd');
  });

  it('reassembles any log from any byte split into the original, every message under the limit (property)', async () => {
    const maxMessageBytes = 1400; // small chunks so that logs of a few KB span many of them
    const budget = logTextBudget(TASK, maxMessageBytes);
    const logText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 3000, size: 'max' }),
      fc.string({
        unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001b', 'é', '€', '😀', 'a'),
        maxLength: 3000,
        size: 'max',
      }),
      fc.string({ unit: 'grapheme', maxLength: 1500, size: 'max' }),
    );
    const pageCounts: number[] = [];
    await fc.assert(
      fc.asyncProperty(logText, fc.array(fc.nat(), { maxLength: 12 }), async (text, cuts) => {
        const bytes = new TextEncoder().encode(text);
        const pages = await allPages(() => splitBytes(bytes, cuts), { maxMessageBytes, scope: 'wf-1' });
        pageCounts.push(pages.length);
        expect(pages.map((p) => p.text).join('')).toBe(text);
        for (const page of pages) {
          // Never a split surrogate pair at either end of a chunk.
          expect(page.text.isWellFormed()).toBe(true);
          expect(page.total).toBe(pages.length);
          expect(envelopeBytes(page)).toBeLessThan(maxMessageBytes);
          expect(jsonStringBytes(page.text)).toBeLessThanOrEqual(budget);
        }
        // The one-pass iterator cuts exactly the same chunks.
        const iterated: string[] = [];
        for await (const chunk of iterateLogChunks(splitBytes(bytes, cuts), {
          taskKey: TASK,
          maxMessageBytes,
          scope: 'wf-1',
        })) {
          // Same position; a one-pass cursor counts the chunks seen so far instead of the whole log's.
          const expected = pages[chunk.index]?.after;
          if (expected === undefined) expect(chunk.after).toBeUndefined();
          else {
            const { total: _t, ...position } = decodeLogCursor(chunk.after as string, 'wf-1');
            const { total: _e, ...wanted } = decodeLogCursor(expected, 'wf-1');
            expect(position).toEqual(wanted);
          }
          iterated.push(chunk.text);
        }
        expect(iterated).toEqual(pages.map((p) => p.text));
      }),
      { numRuns: 1000 },
    );
    // Most generated logs must span several chunks, or the property would not exercise cursors.
    expect(pageCounts.filter((count) => count > 3).length).toBeGreaterThan(500);
  });
});

describe('log cursors', () => {
  const text = 'x'.repeat(5000);
  const options = { taskKey: TASK, maxMessageBytes: 1400, scope: 'run-a' };

  it('round-trip and are opaque base64url', () => {
    const line = { time: '2026-12-03T09:17:46.123456789Z', rank: 2, start: 1200 };
    const cursor = encodeLogCursor({ offset: 1234, index: 3, total: 9, line }, 'run-a');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeLogCursor(cursor, 'run-a')).toEqual({ offset: 1234, index: 3, total: 9, line });
    const plain = encodeLogCursor({ offset: 5, index: 1, total: 2 }, 'run-a');
    expect(decodeLogCursor(plain, 'run-a')).toEqual({ offset: 5, index: 1, total: 2 });
  });

  it('refuse tampered, foreign and malformed cursors with bad_request', async () => {
    const first = await chunkLogText(text, options);
    expect(first.after).toBeDefined();
    const cursor = first.after as string;
    const body = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...body, b: (body.b as number) + 1 })).toString(
      'base64url',
    );
    const recounted = Buffer.from(JSON.stringify({ ...body, t: 1 })).toString('base64url');
    // A cursor of the version before seeking (UTF-16 offsets) is refused like any other.
    const version1 = Buffer.from(JSON.stringify({ v: 1, o: 10, i: 1, c: 'abcdefghijklmnop' })).toString(
      'base64url',
    );
    for (const bad of [
      tampered,
      recounted,
      version1,
      `${cursor}x`,
      cursor.slice(0, -2),
      'not a cursor!',
      '',
      'e30',
    ]) {
      const error = await chunkLogText(text, { ...options, after: bad }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as Error).message).toMatch(/without "after"/);
    }
    await expect(chunkLogText(text, { ...options, scope: 'run-b', after: cursor })).rejects.toThrow(
      BadRequestError,
    );
  });

  it('refuse a cursor past the end of the log', async () => {
    const pastEnd = encodeLogCursor({ offset: 10_000, index: 5, total: 9 }, 'run-a');
    await expect(chunkLogText(text, { ...options, after: pastEnd })).rejects.toThrow(
      /past the end of the log/,
    );
  });

  it('serves a log that grew since the previous page, raising the total once the count is outrun', async () => {
    const first = await chunkLogText(text, options);
    let page = first;
    let grownTotal = 0;
    const grownText = `${text}${'y'.repeat(3000)}`;
    const texts = [first.text];
    while (page.after) {
      page = await chunkLogText(grownText, { ...options, after: page.after });
      texts.push(page.text);
      grownTotal = page.total;
    }
    expect(texts.join('')).toBe(grownText);
    expect(grownTotal).toBe(texts.length);
    expect(grownTotal).toBeGreaterThan(first.total);
  });
});

describe('redactSecretEdges', () => {
  const secret = 'eyJhbGciOiJSUzI1NiJ9.payload-part.signature-part-0123456789';
  it('replaces a secret’s beginning at the end and its end at the start, never growing the text', () => {
    const cut = 30;
    const head = `log line\njwt=${secret.slice(0, cut)}`;
    const tail = `${secret.slice(cut)}\nnext line`;
    expect(redactSecretEdges(head, [secret])).toBe('log line\njwt=[redacted]');
    expect(redactSecretEdges(tail, [secret])).toBe('[redacted]\nnext line');
    expect(redactSecretEdges(head, [secret]).length).toBeLessThanOrEqual(head.length);
  });

  it('leaves text alone that holds no piece of a secret at its edges, and pieces too short to matter', () => {
    expect(redactSecretEdges('plain log\n', [secret])).toBe('plain log\n');
    expect(redactSecretEdges(`a ${secret.slice(0, 5)}`, [secret])).toBe(`a ${secret.slice(0, 5)}`);
    expect(redactSecretEdges(`${secret.slice(0, 30)} in the middle`, [secret])).toBe(
      `${secret.slice(0, 30)} in the middle`,
    );
  });
});
