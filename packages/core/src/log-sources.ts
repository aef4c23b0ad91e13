// Where a run's log is read from, each opened at a byte offset: the pod log API (seeks with `sinceTime` and a
// line offset, pod-log-lines.ts), the archived copy (seeks with a byte range) or any stream (skips).
import { BadRequestError } from './errors.ts';
import type { LineMark } from './log-cursor.ts';
import { LineSeekMismatch, timestampedLines, wholeSecond } from './pod-log-lines.ts';
import type { LogPiece } from './pod-log-lines.ts';
import type { ClusterPort, LogArchive } from './ports.ts';

export interface LogSeek {
  /** Byte offset in the log where the pieces must start. */
  offset: number;
  /** The line holding that byte, when a pod log API answer named it. */
  line?: LineMark;
}

/** A log that can be opened at a byte offset. */
export interface SeekableLog {
  /**
   * Pieces from exactly `from.offset`. `wantedBytes` says how much the reader needs at most (a source that can
   * stop early, such as a byte range, may); without it, everything to the end.
   */
  open(from: LogSeek, wantedBytes?: number): AsyncIterable<LogPiece>;
}

/** Log bytes (or text) as a caller has them: a stream, or strings in a test. */
export type LogSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export const PAST_END =
  'payload.after points past the end of the log (the pod may have restarted and its log started over): ' +
  'request the logs again without "after".';

/** Drops the first `count` bytes; a stream shorter than that is a cursor past the end. */
async function* skipBytes(pieces: AsyncIterable<LogPiece>, count: number): AsyncGenerator<LogPiece> {
  let left = count;
  for await (const piece of pieces) {
    if (left >= piece.bytes.length) {
      left -= piece.bytes.length;
      continue;
    }
    yield left > 0 ? { ...piece, bytes: piece.bytes.subarray(left) } : piece;
    left = 0;
  }
  if (left > 0) throw new BadRequestError(PAST_END);
}

async function* bytesOf(source: LogSource): AsyncGenerator<LogPiece> {
  const encoder = new TextEncoder();
  // Strings are encoded so that lone surrogates become U+FFFD exactly as bytes would.
  for await (const piece of source)
    yield { bytes: typeof piece === 'string' ? encoder.encode(piece) : piece };
}

/** A stream read once from its start (tests, whole-log readers): opening at an offset skips to it. */
export function streamedLog(source: LogSource): SeekableLog {
  return { open: (from) => skipBytes(bytesOf(source), from.offset) };
}

/**
 * A container's log through the pod log API, with timestamps so that every piece names its line. Opened at a
 * cursor's line, it asks from that line's second, drops the lines before it and checks the one it lands on;
 * when that check fails (the log is not what the cursor saw), it reads from the start instead.
 */
export function podLog(cluster: ClusterPort, namespace: string, pod: string, container: string): SeekableLog {
  const read = (sinceTime?: string) =>
    cluster.podLogs(namespace, pod, { container, timestamps: true, ...(sinceTime ? { sinceTime } : {}) });
  return {
    async *open(from) {
      const line = from.line;
      if (line && line.rank >= 0 && line.start <= from.offset) {
        try {
          yield* skipBytes(
            timestampedLines(read(wholeSecond(line.time)), { skipLines: line.rank, line }),
            from.offset - line.start,
          );
          return;
        } catch (error) {
          // Thrown before any piece was yielded: reading from the start is still exact.
          if (!(error instanceof LineSeekMismatch)) throw error;
        }
      }
      yield* skipBytes(timestampedLines(read()), from.offset);
    },
  };
}

/** The archived copy of a log, read by byte ranges; `missing` is thrown when there is no such object. */
export function archivedLog(archive: LogArchive, key: string, missing: () => Error): SeekableLog {
  return {
    async *open(from, wantedBytes) {
      const range = {
        start: from.offset,
        ...(wantedBytes !== undefined ? { end: from.offset + wantedBytes } : {}),
      };
      const object = await archive.read(key, range);
      if (!object) throw missing();
      if (from.offset > object.size) throw new BadRequestError(PAST_END);
      for await (const bytes of object.body) yield { bytes };
    },
  };
}
