// Log cursors: opaque base64url of {v, b: byte offset in the container's log (as written, without timestamps),
// i: chunk index, t: chunks counted so far, s?: the line holding byte b (its kubelet timestamp, its rank among
// the lines of that second, the byte where it starts), c: check}. A byte offset means the same byte in the pod's
// log and in its archived copy, so a cursor keeps working when the pod is gone. The line lets the pod API seek
// (`sinceTime` plus a line offset); the archive seeks by byte range. The check binds the cursor to one run
// (scope), so an altered or foreign cursor is a bad_request.
import { createHash } from 'node:crypto';
import { BadRequestError } from './errors.ts';

/** Version 1 (UTF-16 offsets, before seeking) is refused with the usual "start again" message. */
const CURSOR_VERSION = 2;

/** Where a line of a pod's log starts, as the pod log API can find it again (see pod-log-lines.ts). */
export interface LineMark {
  /** The kubelet's timestamp of the line, exactly as it printed it (RFC3339Nano). */
  time: string;
  /** Lines before this one in the answer to `sinceTime` = this line's whole second; -1 when unknown. */
  rank: number;
  /** Byte offset of the line's first byte in the log. */
  start: number;
}

export interface CursorPosition {
  /** Byte offset of the chunk's first byte. */
  offset: number;
  index: number;
  /** Chunks counted when the first page was served (exact for a finished log). */
  total: number;
  /** The line holding `offset`, when the log came from the pod API. */
  line?: LineMark;
}

function cursorCheck(position: CursorPosition, scope: string): string {
  const line = position.line ? `${position.line.time}:${position.line.rank}:${position.line.start}` : '';
  return createHash('sha256')
    .update(
      `hybrid-runner-log-cursor:${CURSOR_VERSION}:${position.offset}:${position.index}:${position.total}:${line}:${scope}`,
    )
    .digest('base64url')
    .slice(0, 16);
}

export function encodeLogCursor(position: CursorPosition, scope = ''): string {
  const body = {
    v: CURSOR_VERSION,
    b: position.offset,
    i: position.index,
    t: position.total,
    ...(position.line ? { s: [position.line.time, position.line.rank, position.line.start] } : {}),
    c: cursorCheck(position, scope),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export const BAD_CURSOR =
  'payload.after is not a log cursor this runner issued for this run (it was altered, truncated, belongs to ' +
  'another run or comes from an older runner version): request the logs again without "after" to start from ' +
  'the first chunk.';

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function decodeLine(value: unknown): LineMark | undefined | false {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [time, rank, start] = value as unknown[];
  if (typeof time !== 'string' || time.length > 40 || !Number.isSafeInteger(rank) || (rank as number) < -1) {
    return false;
  }
  if (!isCount(start)) return false;
  return { time, rank: rank as number, start };
}

export function decodeLogCursor(cursor: string, scope = ''): CursorPosition {
  if (cursor.length === 0 || cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new BadRequestError(BAD_CURSOR);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError(BAD_CURSOR);
  }
  if (typeof body !== 'object' || body === null) throw new BadRequestError(BAD_CURSOR);
  const { v, b, i, t, s, c } = body as Record<string, unknown>;
  const line = decodeLine(s);
  if (v !== CURSOR_VERSION || !isCount(b) || !isCount(i) || !isCount(t) || line === false) {
    throw new BadRequestError(BAD_CURSOR);
  }
  if (typeof c !== 'string') throw new BadRequestError(BAD_CURSOR);
  const position: CursorPosition = { offset: b, index: i, total: t, ...(line ? { line } : {}) };
  if (c !== cursorCheck(position, scope)) throw new BadRequestError(BAD_CURSOR);
  return position;
}

/** Whether `cursor` is a valid cursor issued for `scope` (e.g. to tell which run a cursor belongs to). */
export function isLogCursorFor(cursor: string, scope: string): boolean {
  try {
    decodeLogCursor(cursor, scope);
    return true;
  } catch {
    return false;
  }
}

/** The longest cursor this module can issue (for the message budget). */
export function longestLogCursor(): string {
  const largest = Number.MAX_SAFE_INTEGER;
  return encodeLogCursor(
    {
      offset: largest,
      index: largest,
      total: largest,
      line: { time: '2006-01-02T15:04:05.999999999+07:00', rank: largest, start: largest },
    },
    'scope',
  );
}
