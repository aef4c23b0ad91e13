// Log cursors: opaque base64url of {v, o: offset in UTF-16 code units of the decoded log, i: chunk index,
// c: check}; the check binds them to one run (scope), so an altered or foreign cursor is a bad_request.
import { createHash } from 'node:crypto';
import { BadRequestError } from './errors.ts';

const CURSOR_VERSION = 1;

export interface CursorPosition {
  offset: number;
  index: number;
}

function cursorCheck(position: CursorPosition, scope: string): string {
  return createHash('sha256')
    .update(`hybrid-runner-log-cursor:${CURSOR_VERSION}:${position.offset}:${position.index}:${scope}`)
    .digest('base64url')
    .slice(0, 16);
}

export function encodeLogCursor(position: CursorPosition, scope = ''): string {
  const body = { v: CURSOR_VERSION, o: position.offset, i: position.index, c: cursorCheck(position, scope) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export const BAD_CURSOR =
  'payload.after is not a log cursor this runner issued for this run (it was altered, truncated or belongs to ' +
  'another run): request the logs again without "after" to start from the first chunk.';

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
  const { v, o, i, c } = body as Record<string, unknown>;
  if (
    v !== CURSOR_VERSION ||
    !Number.isSafeInteger(o) ||
    !Number.isSafeInteger(i) ||
    (o as number) < 0 ||
    (i as number) < 0 ||
    typeof c !== 'string'
  ) {
    throw new BadRequestError(BAD_CURSOR);
  }
  const position = { offset: o as number, index: i as number };
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
