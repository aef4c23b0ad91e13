// Log chunking on a 50 MB synthetic log streamed in 64 KiB pieces (as the pod log API delivers it):
// - one pass over every chunk (iterateLogChunks), chunks/s and MB/s;
// - single cursor requests (chunkLogStream) at the first, middle and last chunk, as the bridge serves them;
// - the baseline, measured in the same run: reading the whole log into one string.
// Peak memory growth = max over samples of (heapUsed + arrayBuffers) minus the value after a forced GC.
// Run with `npm run bench logs` (adds --expose-gc) or `npx node --expose-gc bench/logs.bench.ts`.
import { chunkLogStream, iterateLogChunks } from '@hybrid-runner/core';
import { printRatio } from './lib.ts';
import { MIB, gc, measured, type Measured } from './support/memory-growth.ts';

const LOG_BYTES = 50 * 1024 * 1024;
const PIECE_BYTES = 64 * 1024;
const TASK = 'ingestion_task';
const HEAP_LIMIT_MIB = 64;

if (!gc) console.warn('warning: run with --expose-gc for meaningful heap figures');

// Realistic lines plus the escape-heavy and multi-byte content that makes chunk sizes uneven.
const LINES = [
  '[2026-11-28 12:00:00] INFO {metadata.ingestion} - Processing table "sales"."orders" (1234 rows)\n',
  '[2026-11-28 12:00:01] WARNING {sqlalchemy} - Column \\"naïve_ts\\" has no type: ¯\\_(ツ)_/¯\n',
  '[2026-11-28 12:00:02] DEBUG {profiler} - sample: \u0001\u0002\t"quoted"\t€ 😀 データ\n',
  '[2026-11-28 12:00:03] ERROR {source} - Traceback (most recent call last):\n  File "main.py", line 42\n',
];
const LINE_BYTES = LINES.map((line) => new TextEncoder().encode(line));

/** The synthetic log as an async stream: generated piece by piece, never held whole. */
async function* syntheticLog(totalBytes = LOG_BYTES): AsyncGenerator<Uint8Array> {
  let produced = 0;
  let line = 0;
  while (produced < totalBytes) {
    const piece = new Uint8Array(Math.min(PIECE_BYTES, totalBytes - produced));
    let filled = 0;
    while (filled < piece.length) {
      const bytes = LINE_BYTES[line % LINE_BYTES.length] as Uint8Array;
      const take = Math.min(bytes.length, piece.length - filled);
      piece.set(bytes.subarray(0, take), filled);
      filled += take;
      if (take === bytes.length) line++;
      else break; // cut mid-line (and possibly mid code point) at the piece boundary, as a socket would
    }
    produced += piece.length;
    yield piece;
    // Lines resume whole in the next piece; the log stays valid UTF-8 except at most one cut per piece.
  }
}

const baseline = await measured(async (sample) => {
  const pieces: Uint8Array[] = [];
  for await (const piece of syntheticLog()) {
    pieces.push(piece);
    sample();
  }
  const text = Buffer.concat(pieces).toString('utf8');
  sample();
  return text.length;
});

const onePass = await measured(async (sample) => {
  let chunks = 0;
  for await (const chunk of iterateLogChunks(syntheticLog(), { taskKey: TASK, scope: 'bench' })) {
    if (chunk.text.length < 0) throw new Error('unreachable'); // keep the text alive until here
    chunks++;
    sample();
  }
  return chunks;
});

const chunks = onePass.value;
const requests: Array<[string, Measured<number>]> = [];
let cursorOfMiddle: string | undefined;
let cursorOfLast: string | undefined;
for await (const chunk of iterateLogChunks(syntheticLog(), { taskKey: TASK, scope: 'bench' })) {
  if (chunk.index === Math.floor(chunks / 2) - 1) cursorOfMiddle = chunk.after;
  if (chunk.index === chunks - 2) cursorOfLast = chunk.after;
}
for (const [label, after] of [
  ['first chunk', undefined],
  ['middle chunk', cursorOfMiddle],
  ['last chunk', cursorOfLast],
] as const) {
  const result = await measured(async (sample) => {
    const page = await chunkLogStream(syntheticLog(), {
      taskKey: TASK,
      scope: 'bench',
      ...(after ? { after } : {}),
    });
    sample();
    return page.total;
  });
  requests.push([label, result]);
}

const mb = LOG_BYTES / MIB;
console.log(
  `\n## Log chunking, ${mb} MB synthetic log in ${PIECE_BYTES / 1024} KiB pieces (Node ${process.version})`,
);
console.log('| case | chunks | total ms | chunks/s | MB/s | peak memory growth MiB |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(
  `| baseline: whole log into one string | - | ${baseline.ms.toFixed(0)} | - | ${(mb / (baseline.ms / 1000)).toFixed(0)} | ${baseline.peakGrowthMiB.toFixed(1)} |`,
);
console.log(
  `| stream: every chunk in one pass | ${chunks} | ${onePass.ms.toFixed(0)} | ${Math.round(chunks / (onePass.ms / 1000))} | ${(mb / (onePass.ms / 1000)).toFixed(0)} | ${onePass.peakGrowthMiB.toFixed(1)} |`,
);
for (const [label, result] of requests) {
  console.log(
    `| one request (${label}, total ${result.value}) | 1 | ${result.ms.toFixed(0)} | - | ${(mb / (result.ms / 1000)).toFixed(0)} | ${result.peakGrowthMiB.toFixed(1)} |`,
  );
}
printRatio('one-pass time', onePass.ms, 'whole-string read', baseline.ms, 'ms');
printRatio('one-pass peak memory', onePass.peakGrowthMiB, 'whole-string read', baseline.peakGrowthMiB, 'MiB');
const worst = Math.max(onePass.peakGrowthMiB, ...requests.map(([, r]) => r.peakGrowthMiB));
console.log(
  `- worst streaming peak growth ${worst.toFixed(1)} MiB vs the ${HEAP_LIMIT_MIB} MiB limit: ${worst <= HEAP_LIMIT_MIB ? 'within' : 'EXCEEDED'}`,
);
