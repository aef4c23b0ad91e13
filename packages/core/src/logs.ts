// Ingestion logs → bridge chunks. Every chunk, once wrapped in its getIngestionLogs response envelope, stays
// under the 128 KiB message limit: the budget is on the JSON-serialized size (escapes such as \u0001 take six
// bytes for one), not the raw size. Chunks end on code point boundaries, so UTF-8 is never split.
//
// Reading is linear: the first page reads the log once to count its chunks (the exact `total`, carried on in the
// cursors); every later page seeks to its cursor's byte (log-sources.ts) and reads one chunk's worth. Only the
// requested chunk is kept in memory, so a 50 MB log is served with a heap of about one chunk. Chunks are cut on
// the log's bytes as the WHATWG UTF-8 decoder reads them (invalid bytes become U+FFFD), so a chunk's bytes decode
// alone to exactly its text. Cursors: log-cursor.ts.
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '@hybrid-runner/protocol';
import { decodeLogCursor, encodeLogCursor, longestLogCursor } from './log-cursor.ts';
import type { CursorPosition, LineMark } from './log-cursor.ts';
import { streamedLog } from './log-sources.ts';
import type { LogSource, SeekableLog } from './log-sources.ts';
import type { LogPiece } from './pod-log-lines.ts';

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
  const envelope = {
    v: PROTOCOL_VERSION,
    id: 'x'.repeat(MAX_REQUEST_ID_LENGTH),
    type: 'response',
    op: 'getIngestionLogs',
    ok: true,
    payload: { [taskKey]: '', total: Number.MAX_SAFE_INTEGER, after: longestLogCursor() },
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

interface ScannedChunk {
  index: number;
  /** Byte offsets where the chunk starts and where the next one starts. */
  start: number;
  end: number;
  /** Present only when the scan was asked to keep this chunk's text. */
  text?: string;
  /** The line holding byte `end`, when the source named it. */
  line?: LineMark;
  /** Whether the log ended with this chunk (else the next chunk's first character was seen). */
  last: boolean;
}

const UTF8 = new TextDecoder('utf-8');
/** JSON bytes of U+FFFD, what the decoder makes of each invalid sequence. */
const REPLACEMENT_BYTES = 3;

/**
 * One pass over the log's bytes from `start.offset`: cuts greedy chunks of at most `budget` escaped bytes and
 * yields each with its offsets (and its text when `keep(index)` says so). A chunk is cut when the first
 * character that does not fit has been read, so every chunk but the last proves that more follows.
 */
async function* scanChunks(
  pieces: AsyncIterable<LogPiece>,
  budget: number,
  start: { offset: number; index: number },
  keep: (index: number) => boolean,
): AsyncGenerator<ScannedChunk> {
  let base = start.offset; // byte offset of the current piece's first byte
  let index = start.index;
  let chunkStart = start.offset;
  let chunkBytes = 0;
  let keepText = keep(index);
  let collecting = keepText || keep(index + 1);
  let parts: Uint8Array[] = [];
  // WHATWG UTF-8 decoder state.
  let needed = 0;
  let seen = 0;
  let lower = 0x80;
  let upper = 0xbf;
  let codePoint = 0;
  let unitStart = 0;
  let unitLine: LineMark | undefined;
  let pending: ScannedChunk | undefined;

  /** Accounts one decoded character of `width` escaped bytes starting at byte `at`; may cut a chunk. */
  const character = (
    width: number,
    at: number,
    line: LineMark | undefined,
    bytes: Uint8Array,
    upTo: number,
    pieceFrom: number,
  ): number => {
    if (chunkBytes + width > budget && chunkBytes > 0) {
      let text: string | undefined;
      let rest: Uint8Array[] = [];
      if (collecting) {
        const held = Buffer.concat([...parts, bytes.subarray(pieceFrom, upTo)]);
        if (keepText) text = UTF8.decode(held.subarray(0, at - chunkStart));
        rest = [held.subarray(at - chunkStart)];
      }
      pending = {
        index,
        start: chunkStart,
        end: at,
        last: false,
        ...(text !== undefined ? { text } : {}),
        ...(line ? { line } : {}),
      };
      index++;
      keepText = keep(index);
      const wasCollecting = collecting;
      collecting = keepText || keep(index + 1);
      parts = collecting && wasCollecting ? rest : [];
      chunkStart = at;
      chunkBytes = 0;
      chunkBytes += width;
      return upTo; // the caller's piece is collected from here on
    }
    chunkBytes += width;
    return pieceFrom;
  };

  for await (const piece of pieces) {
    const bytes = piece.bytes;
    const line = piece.line;
    let pieceFrom = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (needed === 0) {
        if (byte < 0x80) {
          const width = ASCII_BYTES[byte] as number;
          // Most bytes of a log: ASCII that does not cut the chunk, counted here without a call.
          if (chunkBytes + width <= budget || chunkBytes === 0) {
            chunkBytes += width;
            continue;
          }
          pieceFrom = character(width, base + i, line, bytes, i + 1, pieceFrom);
        } else {
          unitStart = base + i;
          unitLine = line;
          if (byte >= 0xc2 && byte <= 0xdf) {
            needed = 1;
            codePoint = byte & 0x1f;
          } else if (byte >= 0xe0 && byte <= 0xef) {
            if (byte === 0xe0) lower = 0xa0;
            if (byte === 0xed) upper = 0x9f;
            needed = 2;
            codePoint = byte & 0xf;
          } else if (byte >= 0xf0 && byte <= 0xf4) {
            if (byte === 0xf0) lower = 0x90;
            if (byte === 0xf4) upper = 0x8f;
            needed = 3;
            codePoint = byte & 0x7;
          } else {
            pieceFrom = character(REPLACEMENT_BYTES, unitStart, line, bytes, i + 1, pieceFrom);
          }
        }
      } else if (byte < lower || byte > upper) {
        // An invalid sequence: one U+FFFD for what came before, and this byte is read again on its own.
        needed = seen = codePoint = 0;
        lower = 0x80;
        upper = 0xbf;
        pieceFrom = character(REPLACEMENT_BYTES, unitStart, unitLine, bytes, i + 1, pieceFrom);
        i--;
      } else {
        lower = 0x80;
        upper = 0xbf;
        codePoint = (codePoint << 6) | (byte & 0x3f);
        if (++seen === needed) {
          const width = codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
          needed = seen = codePoint = 0;
          pieceFrom = character(width, unitStart, unitLine, bytes, i + 1, pieceFrom);
        }
      }
      if (pending) {
        yield pending;
        pending = undefined;
      }
    }
    if (collecting) parts.push(bytes.subarray(pieceFrom));
    base += bytes.length;
  }
  if (needed !== 0) {
    // The log ends inside a sequence: U+FFFD, as the decoder ends it.
    const empty = new Uint8Array(0);
    character(REPLACEMENT_BYTES, unitStart, unitLine, empty, 0, 0);
    if (pending) {
      yield pending;
      pending = undefined;
    }
  }
  // The last chunk (possibly empty: an empty log is one empty chunk, so every response carries text).
  if (chunkBytes > 0 || index === start.index) {
    const text = keepText ? UTF8.decode(Buffer.concat(parts)) : undefined;
    yield { index, start: chunkStart, end: base, last: true, ...(text !== undefined ? { text } : {}) };
  }
}

/** Escaped bytes beyond which a chunk is surely cut: its raw bytes never exceed its escaped ones. */
const LONGEST_CHARACTER_BYTES = 4;

function pageOf(chunk: ScannedChunk, total: number, scope: string): LogPage {
  const after: CursorPosition | undefined = chunk.last
    ? undefined
    : { offset: chunk.end, index: chunk.index + 1, total, ...(chunk.line ? { line: chunk.line } : {}) };
  return { text: chunk.text ?? '', total, ...(after ? { after: encodeLogCursor(after, scope) } : {}) };
}

/**
 * The page at `options.after` (or the first). The first page reads the whole log once and counts the chunks;
 * a later page opens the log at its cursor and reads one chunk (plus the next character, to know more follows).
 * `total` is the count from the first page, raised when a growing log has outrun it.
 */
export async function readLogPage(log: SeekableLog, options: LogChunkOptions): Promise<LogPage> {
  const scope = options.scope ?? '';
  const budget = logTextBudget(options.taskKey, options.maxMessageBytes);
  if (options.after === undefined) {
    let page: ScannedChunk | undefined;
    let total = 0;
    for await (const chunk of scanChunks(
      log.open({ offset: 0 }),
      budget,
      { offset: 0, index: 0 },
      (i) => i === 0,
    )) {
      if (chunk.index === 0) page = chunk;
      total = chunk.index + 1;
    }
    if (page === undefined) throw new Error('scanChunks yielded no first chunk');
    return pageOf(page, total, scope);
  }
  const start = decodeLogCursor(options.after, scope);
  const scan = scanChunks(
    log.open(
      { offset: start.offset, ...(start.line ? { line: start.line } : {}) },
      budget + LONGEST_CHARACTER_BYTES,
    ),
    budget,
    start,
    (i) => i === start.index,
  );
  try {
    const { value: page } = await scan.next();
    if (!page) throw new Error('scanChunks yielded no chunk at the cursor');
    return pageOf(page, Math.max(start.total, page.index + (page.last ? 1 : 2)), scope);
  } finally {
    // Stops the source: closes the pod log stream or the byte range instead of reading on.
    await scan.return(undefined);
  }
}

/** The page of a log stream read from its start (skipping to the cursor): same chunks and cursors. */
export function chunkLogStream(source: LogSource, options: LogChunkOptions): Promise<LogPage> {
  return readLogPage(streamedLog(source), options);
}

/** The page of a log already in memory (same chunks and cursors as the stream form). */
export function chunkLogText(text: string, options: LogChunkOptions): Promise<LogPage> {
  return chunkLogStream([text], options);
}

/**
 * Every chunk of the log in one pass, each with the cursor of the next (absent on the last). For callers that
 * want the whole log (CLI, benchmarks); memory stays at about two chunks. The cursors carry the count so far.
 */
export async function* iterateLogChunks(
  source: LogSource | SeekableLog,
  options: Omit<LogChunkOptions, 'after'>,
): AsyncGenerator<{ text: string; index: number; after?: string }> {
  const scope = options.scope ?? '';
  const budget = logTextBudget(options.taskKey, options.maxMessageBytes);
  const log = 'open' in source ? source : streamedLog(source);
  for await (const chunk of scanChunks(
    log.open({ offset: 0 }),
    budget,
    { offset: 0, index: 0 },
    () => true,
  )) {
    const page = pageOf(chunk, chunk.index + (chunk.last ? 1 : 2), scope);
    yield { text: page.text, index: chunk.index, ...(page.after ? { after: page.after } : {}) };
  }
}
