// The old re-read approach, kept only as the bench's named baseline (not product code): how getIngestionLogs
// served a page before the seeking cursors (commit 8aa7f72). Reconstructed from `git show 8aa7f72^` of
// packages/core/src/logs.ts and log-cursor.ts, unchanged but for names, exports and this header: every page
// opened the pod's whole log from its first byte (`cluster.podLogs(ns, pod, { container: 'main' })`, no
// timestamps, no sinceTime), skipped to the cursor's offset, kept the requested chunk and read on to the end for
// the exact total. A full read of n chunks therefore decodes the log n times: O(n²).
import { createHash } from 'node:crypto';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '@hybrid-runner/protocol';

const CURSOR_VERSION = 1;
const MAX_REQUEST_ID_LENGTH = 128;
const ENVELOPE_MARGIN_BYTES = 256;

interface CursorPosition {
  offset: number;
  index: number;
}

export interface RereadPage {
  text: string;
  total: number;
  after?: string;
}

function cursorCheck(position: CursorPosition, scope: string): string {
  return createHash('sha256')
    .update(`hybrid-runner-log-cursor:${CURSOR_VERSION}:${position.offset}:${position.index}:${scope}`)
    .digest('base64url')
    .slice(0, 16);
}

function encodeLogCursor(position: CursorPosition, scope = ''): string {
  const body = { v: CURSOR_VERSION, o: position.offset, i: position.index, c: cursorCheck(position, scope) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeLogCursor(cursor: string, scope = ''): CursorPosition {
  const body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  const position = { offset: body.o as number, index: body.i as number };
  if (body.v !== CURSOR_VERSION || body.c !== cursorCheck(position, scope)) throw new Error('bad cursor');
  return position;
}

function logTextBudget(taskKey: string, maxMessageBytes = MAX_MESSAGE_BYTES): number {
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
  return maxMessageBytes - 1 - overhead;
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
      if (code >= 0xdc00 && code <= 0xdfff) throw new Error('bad cursor');
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
    throw new Error('payload.after points past the end of the log');
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
export async function rereadLogPage(
  source: LogSource,
  options: { taskKey: string; after?: string; scope?: string; maxMessageBytes?: number },
): Promise<RereadPage> {
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

/**
 * The cursor of every page after the first, in one pass (the old iterateLogChunks, keeping no text): where
 * the bench samples pages of a log too long to read through the old way.
 */
export async function rereadCursors(
  source: LogSource,
  options: { taskKey: string; scope?: string },
): Promise<string[]> {
  const scope = options.scope ?? '';
  const budget = logTextBudget(options.taskKey);
  const cursors: string[] = [];
  let held: ScannedChunk | undefined;
  for await (const chunk of scanLog(source, budget, { offset: 0, index: 0 }, () => false)) {
    if (held) cursors.push(encodeLogCursor({ offset: held.end, index: held.index + 1 }, scope));
    held = chunk;
  }
  return cursors;
}
