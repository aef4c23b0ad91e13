// A synthetic container log for the log benches, and a stand-in for the pod log API that serves it as the
// kubelet does with `timestamps=true` (an RFC3339Nano time and a space before every line) and `sinceTime` (whole
// seconds: every line of that second and after). Generated on the fly, never held whole, so the reader's heap is
// what the bench measures. What it cannot show: the kubelet finds `sinceTime` by scanning its log file on the
// node (here the start line is computed), and the API server's and network's time per byte.
import type { PodLogOptions } from '@hybrid-runner/core';

// Realistic lines plus escape-heavy and multi-byte content, as in logs.bench.ts.
const LINES = [
  '[2026-11-28 12:00:00] INFO {metadata.ingestion} - Processing table "sales"."orders" (1234 rows)\n',
  '[2026-11-28 12:00:01] WARNING {sqlalchemy} - Column \\"naïve_ts\\" has no type: ¯\\_(ツ)_/¯\n',
  '[2026-11-28 12:00:02] DEBUG {profiler} - sample: \u0001\u0002\t"quoted"\t€ 😀 データ\n',
  '[2026-11-28 12:00:03] ERROR {source} - Traceback (most recent call last):\n',
].map((line) => Buffer.from(line, 'utf8'));
const CYCLE_BYTES = LINES.reduce((sum, line) => sum + line.length, 0);
/** A busy ingestion: many lines per second, so a seek re-reads up to a second of lines and drops them. */
export const LINES_PER_SECOND = 100;
const FIRST_SECOND = Date.parse('2026-11-28T12:00:00Z') / 1000;
const PIECE_BYTES = 64 * 1024;
/** `2026-11-28T12:00:00.000001000Z ` */
const STAMP_BYTES = 31;

/** A log of at least `bytes` bytes, in whole lines. */
export class SyntheticPodLog {
  readonly lines: number;
  readonly bytes: number;

  constructor(targetBytes: number) {
    let lines = Math.floor(targetBytes / CYCLE_BYTES) * LINES.length;
    let bytes = (lines / LINES.length) * CYCLE_BYTES;
    while (bytes < targetBytes) bytes += (LINES[lines++ % LINES.length] as Buffer).length;
    this.lines = lines;
    this.bytes = bytes;
  }

  /** The whole log in one buffer: what Argo's archive holds. */
  content(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    let offset = 0;
    for (let n = 0; n < this.lines; n++) offset += (LINES[n % LINES.length] as Buffer).copy(out, offset);
    return out;
  }

  /** The pod log API's answer: 64 KiB pieces from the first line at or after `sinceTime`. */
  async *podLogs(_namespace: string, _pod: string, options: PodLogOptions): AsyncGenerator<Uint8Array> {
    const since =
      options.sinceTime === undefined ? 0 : Math.floor(Date.parse(options.sinceTime) / 1000) - FIRST_SECOND;
    // Filled in place and handed out as copies: a Buffer per line would cost more than the reader's work.
    const longestLine = Math.max(...LINES.map((line) => line.length)) + STAMP_BYTES;
    let piece = Buffer.allocUnsafe(PIECE_BYTES + longestLine);
    let size = 0;
    let stampedSecond = -1;
    let secondText = '';
    for (let n = Math.max(0, since * LINES_PER_SECOND); n < this.lines; n++) {
      if (options.timestamps) {
        const second = Math.floor(n / LINES_PER_SECOND);
        if (second !== stampedSecond) {
          stampedSecond = second;
          secondText = new Date((FIRST_SECOND + second) * 1000).toISOString().slice(0, 19);
        }
        const nanos = String(((n % LINES_PER_SECOND) + 1) * 1000).padStart(9, '0');
        size += piece.write(`${secondText}.${nanos}Z `, size, 'latin1');
      }
      size += (LINES[n % LINES.length] as Buffer).copy(piece, size);
      if (size >= PIECE_BYTES) {
        yield piece.subarray(0, size);
        piece = Buffer.allocUnsafe(PIECE_BYTES + longestLine);
        size = 0;
      }
    }
    if (size > 0) yield piece.subarray(0, size);
  }
}
