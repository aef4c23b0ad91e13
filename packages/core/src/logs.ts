// Ingestion logs → bridge chunks. Every chunk, once wrapped in its getIngestionLogs response envelope, stays
// under the 128 KiB message limit: the budget is on the JSON-serialized size (escapes such as \u0001 take six
// bytes for one), not the raw size. Chunks end on code point boundaries, so UTF-8 is never split.
//
// Why one full pass per request: the pod log API cannot seek, so reaching chunk k means reading the log
// up to it anyway; reading on to the end costs at most twice that and gives the exact `total`. Only the
// requested chunk is kept in memory, so a 50 MB log is served with a heap of about one chunk.
// Cursors: log-cursor.ts.
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '@hybrid-runner/protocol';
import { BadRequestError } from './errors.ts';
import { BAD_CURSOR, decodeLogCursor, encodeLogCursor } from './log-cursor.ts';
import type { CursorPosition } from './log-cursor.ts';

/** Longest request id the protocol allows; the envelope budget assumes it. */
const MAX_REQUEST_ID_LENGTH = 128;
/** Room for fields a future envelope might add; the property tests check the real envelope stays below. */
const ENVELOPE_MARGIN_BYTES = 256;

export interface LogChunkOptions {
  /** The response key for the text, e.g. `ingestion_task` (see logTaskKey). */
  taskKey: string;
  /** Cursor from a previous page (`after`); absent for the first chunk. */
  after?: string;
  /** What the cursor is bound to, e.g. the workflow name; a cursor issued for another scope is refused. */
  scope?: string;
  /** Message limit the chunks must respect; defaults to the protocol's 128 KiB. */
  maxMessageBytes?: number;
}

export interface LogPage {
  text: string;
  /** Number of chunks in the whole log as read now (a running pod's log may grow between requests). */
  total: number;
  /** Cursor of the next chunk; absent on the last one. */
  after?: string;
}

/**
 * Bytes left for the log text (as JSON-escaped UTF-8, without its quotes) in a response of at most
 * `maxMessageBytes`, assuming the longest request id, the largest total and the longest cursor.
 */
export function logTextBudget(taskKey: string, maxMessageBytes = MAX_MESSAGE_BYTES): number {
  const largest = { offset: Number.MAX_SAFE_INTEGER, index: Number.MAX_SAFE_INTEGER };
  const envelope = {
    v: PROTOCOL_VERSION,
    id: 'x'.repeat(MAX_REQUEST_ID_LENGTH),
    type: 'response',
    op: 'getIngestionLogs',
    ok: true,
    payload: { [taskKey]: '', total: Number.MAX_SAFE_INTEGER, after: encodeLogCursor(largest, 'scope') },
  };
  const overhead = Buffer.byteLength(JSON.stringify(envelope)) + ENVELOPE_MARGIN_BYTES;
  const budget = maxMessageBytes - 1 - overhead;
  // Six bytes is the largest escape of one code unit (\u001f); a chunk must hold at least one code point.
  if (budget < 6) {
    throw new RangeError(
      `maxMessageBytes ${maxMessageBytes} leaves no room for log text (envelope ${overhead} B)`,
    );
  }
  return budget;
}

/** JSON.stringify's output bytes for each ASCII code unit: escapes for quotes, backslash and controls. */
const ASCII_BYTES = Uint8Array.from({ length: 0x80 }, (_, code) => {
  if (code < 0x20) return code === 8 || code === 9 || code === 10 || code === 12 || code === 13 ? 2 : 6;
  return code === 0x22 || code === 0x5c ? 2 : 1;
});

/**
 * Serialized JSON bytes of the code unit at `i`: a surrogate pair counts 4 on its high half (the caller
 * skips the low one), a lone surrogate 6 (JSON.stringify escapes it as \uDXXX).
 */
function unitBytes(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code < 0x80) return ASCII_BYTES[code] as number;
  if (code < 0x800) return 2;
  if (code < 0xd800 || code > 0xdfff) return 3;
  if (code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 4 : 6;
  }
  return 6;
}

/** JSON-serialized UTF-8 size of `text` without the surrounding quotes. */
export function jsonStringBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const width = unitBytes(text, i);
    if (width === 4) i++;
    bytes += width;
  }
  return bytes;
}

/** Log bytes (or text) as the cluster port streams them, or as a test or caller has them. */
export type LogSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

interface ScannedChunk {
  index: number;
  /** Offset (decoded code units) where the chunk starts and where the next one would start. */
  start: number;
  end: number;
  /** Present only when the scan was asked to keep this chunk's text. */
  text?: string;
}

async function* decodedPieces(source: LogSource): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const encoder = new TextEncoder();
  for await (const piece of source) {
    // Strings are re-encoded so that lone surrogates become U+FFFD exactly as bytes would.
    const bytes = typeof piece === 'string' ? encoder.encode(piece) : piece;
    const text = decoder.decode(bytes, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * One pass over the log: skips to `startOffset`, then cuts greedy chunks of at most `budget` escaped bytes,
 * yielding each with its offsets (and its text when `keep(index)` says so). Never splits a surrogate pair;
 * TextDecoder never splits one across its outputs, so pieces only need checking within themselves.
 */
async function* scanLog(
  source: LogSource,
  budget: number,
  start: CursorPosition,
  keep: (index: number) => boolean,
): AsyncGenerator<ScannedChunk> {
  let position = 0; // decoded code units seen so far
  let index = start.index;
  let chunkStart = start.offset;
  let chunkBytes = 0;
  let keepText = keep(index);
  let parts: string[] = [];
  let started = start.offset === 0;
  for await (const piece of decodedPieces(source)) {
    let from = 0;
    if (!started) {
      if (position + piece.length <= start.offset) {
        position += piece.length;
        continue;
      }
      from = start.offset - position;
      const code = piece.charCodeAt(from);
      if (code >= 0xdc00 && code <= 0xdfff) throw new BadRequestError(BAD_CURSOR);
      started = true;
    }
    let sliceFrom = from;
    for (let i = from; i < piece.length; i++) {
      const width = unitBytes(piece, i);
      if (chunkBytes + width > budget && chunkBytes > 0) {
        const end = position + i;
        if (keepText) parts.push(piece.slice(sliceFrom, i));
        yield { index, start: chunkStart, end, ...(keepText ? { text: parts.join('') } : {}) };
        parts = [];
        index++;
        keepText = keep(index);
        chunkStart = end;
        chunkBytes = 0;
        sliceFrom = i;
      }
      chunkBytes += width;
      if (width === 4) i++;
    }
    if (keepText) parts.push(piece.slice(sliceFrom));
    position += piece.length;
  }
  if (position < start.offset) {
    throw new BadRequestError(
      'payload.after points past the end of the log (the pod may have restarted and its log started over): ' +
        'request the logs again without "after".',
    );
  }
  // The last chunk (possibly empty: an empty log is one empty chunk, so every response carries text).
  if (chunkBytes > 0 || index === start.index) {
    yield { index, start: chunkStart, end: position, ...(keepText ? { text: parts.join('') } : {}) };
  }
}

/**
 * The page at `options.after` (or the first), with the exact total: reads the whole stream once and keeps
 * only the requested chunk.
 */
export async function chunkLogStream(source: LogSource, options: LogChunkOptions): Promise<LogPage> {
  const scope = options.scope ?? '';
  const start = options.after === undefined ? { offset: 0, index: 0 } : decodeLogCursor(options.after, scope);
  const budget = logTextBudget(options.taskKey, options.maxMessageBytes);
  let page: ScannedChunk | undefined;
  let total = start.index;
  for await (const chunk of scanLog(source, budget, start, (index) => index === start.index)) {
    if (chunk.index === start.index) page = chunk;
    total = chunk.index + 1;
  }
  if (page === undefined) throw new Error('scanLog yielded no chunk at the cursor');
  const hasMore = total > page.index + 1;
  return {
    text: page.text ?? '',
    total,
    ...(hasMore ? { after: encodeLogCursor({ offset: page.end, index: page.index + 1 }, scope) } : {}),
  };
}

/** The page of a log already in memory (same chunks and cursors as the stream form). */
export function chunkLogText(text: string, options: LogChunkOptions): Promise<LogPage> {
  return chunkLogStream([text], options);
}

/**
 * Every chunk of the log in one pass, each with the cursor of the next (absent on the last). For callers that
 * want the whole log (CLI, benchmarks); memory stays at about two chunks.
 */
export async function* iterateLogChunks(
  source: LogSource,
  options: Omit<LogChunkOptions, 'after'>,
): AsyncGenerator<{ text: string; index: number; after?: string }> {
  const scope = options.scope ?? '';
  const budget = logTextBudget(options.taskKey, options.maxMessageBytes);
  let held: ScannedChunk | undefined;
  for await (const chunk of scanLog(source, budget, { offset: 0, index: 0 }, () => true)) {
    if (held) {
      yield {
        text: held.text ?? '',
        index: held.index,
        after: encodeLogCursor({ offset: held.end, index: held.index + 1 }, scope),
      };
    }
    held = chunk;
  }
  if (held) yield { text: held.text ?? '', index: held.index };
}
