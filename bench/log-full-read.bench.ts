// A whole log read end to end through getIngestionLogs' cursors, page after page as Collate pages it, for 5, 50
// and 200 MB logs: total time and peak memory growth of
// - today's seeking cursors (readLogPage) on the pod log API (podLog: timestamps, sinceTime plus a line offset;
//   served by the synthetic kubelet stand-in, bench/support/synthetic-pod-log.ts) and on the archive (archivedLog:
//   byte ranges; served by MemoryLogArchive, the in-memory stand-in of the S3 port);
// - the baseline, measured in the same run: the old re-read approach (bench/support/reread-log-pages.ts, every
//   page reads the pod's whole log again). It is quadratic, so above 5 MB it is not read through: a sample of its
//   pages, spread over the log, is timed and the mean page time multiplied by the page count (each old page
//   costs one whole pass wherever its cursor points; the 5 MB row shows measured and extrapolated side by side).
// Every read is checked: the pages' text, joined, hashes to the log's content.
// Peak memory growth = max over samples of (heapUsed + arrayBuffers) minus the value after a forced GC, garbage
// included; live growth = the same after a GC every 10 pages (an untimed second read). The log itself (the
// archive's copy) is allocated before. Run with `npm run bench log-full-read` (adds --expose-gc).
import { createHash } from 'node:crypto';
import { archivedLog, podLog, readLogPage } from '@hybrid-runner/core';
import type { ClusterPort, SeekableLog } from '@hybrid-runner/core';
import { MemoryLogArchive } from '../test/support/memory-log-archive.ts';
import { rereadCursors, rereadLogPage } from './support/reread-log-pages.ts';
import { LINES_PER_SECOND, SyntheticPodLog } from './support/synthetic-pod-log.ts';
import { MIB, gc, measured, memory, settle, type Measured } from './support/memory-growth.ts';

const SIZES_MB = (process.env.LOG_BENCH_SIZES_MB ?? '5,50,200').split(',').map(Number);
/** Largest log the baseline is read through completely; above it, it is sampled. */
const BASELINE_FULL_READ_MB = 5;
const BASELINE_SAMPLED_PAGES = 6;
const TASK = 'ingestion_task';
const SCOPE = 'sales-mysql-ingestion-5f2c1';
const NAMESPACE = 'collate-ingestion';
const POD = 'sales-mysql-ingestion-5f2c1-main-3141592653';
const KEY = `${NAMESPACE}/${SCOPE}/${POD}/main.log`;
const TARGET_SPEEDUP = 5;
const HEAP_LIMIT_MIB = 64;

if (!gc) console.warn('warning: run with --expose-gc for meaningful memory figures');

interface FullRead {
  pages: number;
  sha256: string;
}

/** Every page through the cursors, as Collate asks for them. */
async function readThrough(
  page: (after: string | undefined) => Promise<{ text: string; after?: string }>,
  sample: () => void,
): Promise<FullRead> {
  const hash = createHash('sha256');
  let after: string | undefined;
  let pages = 0;
  do {
    const next = await page(after);
    hash.update(next.text, 'utf8');
    after = next.after;
    pages++;
    sample();
  } while (after !== undefined);
  return { pages, sha256: hash.digest('hex') };
}

function seekingRead(log: SeekableLog) {
  return (sample: () => void) =>
    readThrough(
      (after) => readLogPage(log, { taskKey: TASK, scope: SCOPE, ...(after ? { after } : {}) }),
      sample,
    );
}

/**
 * Most live memory during a full read: collected every 10 pages, untimed. Peak growth above counts garbage
 * not yet collected (page strings, pieces); this counts what the reader holds.
 */
async function liveGrowthMiB(log: SeekableLog): Promise<number> {
  await settle();
  const base = memory();
  let most = 0;
  let pages = 0;
  await readThrough(
    (after) => readLogPage(log, { taskKey: TASK, scope: SCOPE, ...(after ? { after } : {}) }),
    () => {
      if (++pages % 10 === 0) {
        gc?.();
        most = Math.max(most, memory() - base);
      }
    },
  );
  return most / MIB;
}

interface Row {
  mb: number;
  /** Pages the old way: its cursors were shorter, so its chunks a little longer. */
  oldPages: number;
  fromPod: Measured<FullRead>;
  fromArchive: Measured<FullRead>;
  /** Live memory growth (after GC) of the pod API and archive reads. */
  live: [number, number];
  baselineMs: number;
  baselinePeakMiB: number;
  baselineHow: string;
}

function printRow(row: Row): void {
  console.log(
    `| ${row.mb} MB | ${row.fromPod.value.pages} (${row.oldPages}) | ${(row.fromPod.ms / 1000).toFixed(2)} | ${row.fromPod.peakGrowthMiB.toFixed(1)} / ${row.live[0].toFixed(1)} | ${(row.fromArchive.ms / 1000).toFixed(2)} | ${row.fromArchive.peakGrowthMiB.toFixed(1)} / ${row.live[1].toFixed(1)} | ${(row.baselineMs / 1000).toFixed(1)} | ${row.baselinePeakMiB.toFixed(1)} | ${row.baselineHow} |`,
  );
}

console.log(
  `\n## A whole log read through its cursors, page by page (Node ${process.version}; ${LINES_PER_SECOND} lines per second in the pod log)`,
);
console.log(
  '| log | pages (the old way) | seeking, pod API: s | MiB peak / live | seeking, archive: s | MiB peak / live | baseline, re-read every page: s | MiB peak | baseline measured how |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|');

const rows: Row[] = [];
// The first 1 MB read of each kind is not measured: it warms the JIT, which would colour the 5 MB row.
for (const [mb, warmUp] of [[1, true] as const, ...SIZES_MB.map((size) => [size, false] as const)]) {
  const log = new SyntheticPodLog(mb * MIB);
  const content = log.content();
  const expected = createHash('sha256').update(content).digest('hex');
  const archive = new MemoryLogArchive();
  archive.put(KEY, content);
  // podLog only calls podLogs on the cluster port.
  const cluster = { podLogs: log.podLogs.bind(log) } as unknown as ClusterPort;
  const wholePodLog = () => log.podLogs(NAMESPACE, POD, { container: 'main' });

  const fromPod = await measured(seekingRead(podLog(cluster, NAMESPACE, POD, 'main')));
  const fromArchive = await measured(
    seekingRead(archivedLog(archive, KEY, () => new Error('the bench archive has no such key'))),
  );
  for (const [what, read] of [
    ['pod API', fromPod],
    ['archive', fromArchive],
  ] as const) {
    if (read.value.sha256 !== expected)
      throw new Error(`${mb} MB from the ${what}: the pages differ from the log`);
  }

  const oldPage = (after: string | undefined) =>
    rereadLogPage(wholePodLog(), { taskKey: TASK, scope: SCOPE, ...(after ? { after } : {}) });
  const cursors = await rereadCursors(wholePodLog(), { taskKey: TASK, scope: SCOPE });
  const pages = cursors.length + 1;
  // Pages spread over the log: the first, and cursors at even intervals up to the last.
  const sampled = [
    undefined,
    ...Array.from(
      { length: BASELINE_SAMPLED_PAGES - 1 },
      (_, i) => cursors[Math.floor(((i + 1) * (cursors.length - 1)) / (BASELINE_SAMPLED_PAGES - 1))],
    ),
  ];
  const sample = await measured(async (tick) => {
    for (const after of sampled) {
      await oldPage(after);
      tick();
    }
    return sampled.length;
  });
  const extrapolatedMs = (sample.ms / sampled.length) * pages;
  let baselineMs = extrapolatedMs;
  let baselinePeakMiB = sample.peakGrowthMiB;
  let baselineHow = `extrapolated: ${sampled.length} of ${pages} pages timed`;
  if (mb <= BASELINE_FULL_READ_MB) {
    const full = await measured((tick) => readThrough(oldPage, tick));
    if (full.value.sha256 !== expected) throw new Error(`${mb} MB, re-read baseline: the pages differ`);
    baselineMs = full.ms;
    baselinePeakMiB = full.peakGrowthMiB;
    baselineHow = `read through (extrapolated from ${sampled.length} pages: ${(extrapolatedMs / 1000).toFixed(1)} s)`;
  }
  if (warmUp) continue;
  const live: [number, number] = [
    await liveGrowthMiB(podLog(cluster, NAMESPACE, POD, 'main')),
    await liveGrowthMiB(archivedLog(archive, KEY, () => new Error('the bench archive has no such key'))),
  ];
  const row = { mb, oldPages: pages, fromPod, fromArchive, live, baselineMs, baselinePeakMiB, baselineHow };
  rows.push(row);
  printRow(row);
}

for (const row of rows) {
  const podSpeedup = row.baselineMs / row.fromPod.ms;
  const archiveSpeedup = row.baselineMs / row.fromArchive.ms;
  console.log(
    `- ${row.mb} MB: the old re-read takes ${podSpeedup.toFixed(1)}x the seeking read's time from the pod API and ${archiveSpeedup.toFixed(1)}x from the archive`,
  );
}
const target = rows.find((row) => row.mb === 50);
if (target) {
  const speedup = target.baselineMs / target.fromPod.ms;
  const heap = Math.max(target.fromPod.peakGrowthMiB, target.fromArchive.peakGrowthMiB);
  console.log(
    `- issue 14's target at 50 MB: >= ${TARGET_SPEEDUP}x faster (pod API: ${speedup.toFixed(1)}x, ${speedup >= TARGET_SPEEDUP ? 'met' : 'NOT MET'}), <= ${HEAP_LIMIT_MIB} MiB growth (${heap.toFixed(1)} MiB, ${heap <= HEAP_LIMIT_MIB ? 'met' : 'NOT MET'})`,
  );
}
