// The pod log API with `timestamps=true`: every line starts with the kubelet's RFC3339Nano timestamp and a space.
// This turns that stream back into the log's own bytes, each piece tagged with its line (timestamp, rank within
// its second, first byte), so a cursor can later find the line again with `sinceTime`. The API server passes
// `sinceTime` on to the kubelet in whole seconds, and the kubelet answers every line at or after it: the lines
// of that second before ours come back too, and are dropped here by count (deduplicated), then checked.
import type { LineMark } from './log-cursor.ts';

/** Content bytes of the log, with the line they belong to when the source knows it. */
export interface LogPiece {
  bytes: Uint8Array;
  line?: LineMark;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const LATIN1 = new TextDecoder('latin1');

/** The whole second of an RFC3339 timestamp, as `sinceTime` carries it (the API server drops the fraction). */
export function wholeSecond(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new Error(`not an RFC3339 timestamp: ${time.slice(0, 40)}`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface LineSeek {
  /** Lines of the answer to drop before the line sought (its rank). */
  skipLines: number;
  /** The line sought: its timestamp must match, and its first byte becomes offset `line.start`. */
  line: LineMark;
}

/** Thrown when the line at the sought rank is not the one the cursor names (the log is not what it was). */
export class LineSeekMismatch extends Error {}

/**
 * Content pieces of a timestamped pod log stream, from its first line (offset 0) or, with `seek`, from the
 * sought line (at offset `seek.line.start`). Throws LineSeekMismatch before yielding anything when the sought
 * line is not there.
 */
export async function* timestampedLines(
  stream: AsyncIterable<Uint8Array>,
  seek?: LineSeek,
): AsyncGenerator<LogPiece> {
  let offset = seek ? -1 : 0; // unknown until the sought line
  let lineIndex = 0;
  let atLineStart = true;
  let stampParts: Uint8Array[] = [];
  let mark: LineMark | undefined;
  let second = Number.NEGATIVE_INFINITY;
  let rank = -1;
  for await (const chunk of stream) {
    let i = 0;
    while (i < chunk.length) {
      if (atLineStart) {
        const space = chunk.indexOf(SPACE, i);
        if (space === -1) {
          stampParts.push(chunk.subarray(i));
          break;
        }
        stampParts.push(chunk.subarray(i, space));
        const time = LATIN1.decode(
          stampParts.length === 1 ? (stampParts[0] as Uint8Array) : Buffer.concat(stampParts),
        );
        stampParts = [];
        i = space + 1;
        atLineStart = false;
        const ms = Date.parse(time);
        if (Number.isNaN(ms)) {
          throw new Error(
            'The pod log API answered a line without a timestamp to timestamps=true: this cluster does not ' +
              'serve pod logs as the kubelet does.',
          );
        }
        const lineSecond = Math.floor(ms / 1000);
        if (lineSecond > second) {
          second = lineSecond;
          rank = 0;
        } else if (lineSecond === second && rank >= 0) {
          rank++;
        }
        // A line older than one before it would not come back at its rank: no seek hint for it.
        const lineRank = lineSecond < second ? -1 : rank;
        if (seek && lineIndex === seek.skipLines) {
          if (time !== seek.line.time) throw new LineSeekMismatch(`expected ${seek.line.time}, got ${time}`);
          offset = seek.line.start;
        }
        lineIndex++;
        mark = offset >= 0 ? { time, rank: lineRank, start: offset } : undefined;
        continue;
      }
      const newline = chunk.indexOf(NEWLINE, i);
      const end = newline === -1 ? chunk.length : newline + 1;
      if (offset >= 0) {
        yield { bytes: chunk.subarray(i, end), ...(mark ? { line: mark } : {}) };
        offset += end - i;
      }
      i = end;
      if (newline !== -1) atLineStart = true;
    }
  }
  if (seek && offset < 0) throw new LineSeekMismatch('the sought line is not in the log any more');
}
