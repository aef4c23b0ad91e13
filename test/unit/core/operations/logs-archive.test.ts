// getIngestionLogs reading linearly (pod API seeks, archive ranges) and switching from the pod to Argo's archived
// copy once the pod is gone, through the same cursors. Stand-ins: FakeCluster (kubelet-like timestamps and
// sinceTime) and MemoryLogArchive (S3-like ranges).
import { describe, expect, it } from 'vitest';
import { NotFoundError, archivedLogKey, logTextBudget } from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';
import { MemoryLogArchive } from '../../../support/memory-log-archive.ts';
import { harness, pipeline, seedPod, seedRun } from './setup.ts';

const p = pipeline();
const NS = 'collate-ingestion';
const TASK = 'ingestion_task';
const LOG = Array.from({ length: 30_000 }, (_, i) => `${i} INFO "quoted" é 😀 \u0001 line\n`).join('');

function finishedRun(h: ReturnType<typeof harness>, runId: string, key: string | undefined): KubeObject {
  return seedRun(h, p, runId, {
    phase: 'Succeeded',
    nodes: {
      [`${runId}-1`]: {
        type: 'Pod',
        templateName: 'main',
        startedAt: '2026-11-28T11:00:00Z',
        ...(key ? { outputs: { artifacts: [{ name: 'main-logs', s3: { key } }] } } : {}),
      },
    },
  });
}

async function readAll(
  h: ReturnType<typeof harness>,
  runId: string,
  between: (page: number) => void = () => {},
): Promise<{ text: string; totals: number[]; pages: number }> {
  const texts: string[] = [];
  const totals: number[] = [];
  let after: string | undefined;
  do {
    between(texts.length);
    const page = await h.operations.getIngestionLogs({ pipeline: p, runId, ...(after ? { after } : {}) });
    texts.push(page[TASK] as string);
    totals.push(page.total);
    after = page.after;
  } while (after);
  return { text: texts.join(''), totals, pages: texts.length };
}

describe('getIngestionLogs, linear reading and the archive (FakeCluster, MemoryLogArchive)', () => {
  it('reads the pod log once for the first page, then seeks each later page with sinceTime', async () => {
    const h = harness();
    const run = finishedRun(h, 'run-seek', undefined);
    h.cluster.setPodLog(NS, seedPod(h, run).metadata.name as string, LOG);
    const { text, totals, pages } = await readAll(h, 'run-seek');
    expect(text).toBe(LOG);
    expect(pages).toBeGreaterThan(5);
    expect(new Set(totals)).toEqual(new Set([pages]));
    const requests = h.cluster.logRequests;
    expect(requests).toHaveLength(pages);
    expect(requests.every((request) => request.timestamps === true)).toBe(true);
    expect(requests[0]?.sinceTime).toBeUndefined();
    // Every later page starts from its line's second, never from the start of the log.
    expect(
      requests.slice(1).every((request) => /^2026-11-28T\d\d:\d\d:\d\dZ$/.test(request.sinceTime ?? '')),
    ).toBe(true);
  });

  it('reads from the pod while it exists and from the archive once it is deleted, through the same cursors', async () => {
    const archive = new MemoryLogArchive();
    const h = harness({}, { logArchive: archive });
    const key = 'hybrid-runner-logs/run-gc/run-gc-main-1234567890/main.log';
    const run = finishedRun(h, 'run-gc', key);
    const pod = seedPod(h, run);
    h.cluster.setPodLog(NS, pod.metadata.name as string, LOG);
    archive.put(key, LOG);
    const { text, totals, pages } = await readAll(h, 'run-gc', (page) => {
      // Pod GC between the third and the fourth page.
      if (page === 3) h.cluster.objects.delete(`pods/${NS}/${pod.metadata.name}`);
    });
    expect(text).toBe(LOG);
    expect(new Set(totals)).toEqual(new Set([pages]));
    expect(h.cluster.logRequests).toHaveLength(3);
    expect(archive.reads).toHaveLength(pages - 3);
    // Each archive read is one chunk's byte range, not the whole object.
    const budget = logTextBudget(TASK);
    for (const read of archive.reads.slice(0, -1)) {
      expect((read.end as number) - read.start).toBeLessThanOrEqual(budget + 4);
    }
  });

  it('serves a whole log from the archive when the pod was gone from the start', async () => {
    const archive = new MemoryLogArchive();
    const h = harness({}, { logArchive: archive });
    const key = 'hybrid-runner-logs/run-a/run-a-main-1/main.log';
    finishedRun(h, 'run-a', key);
    archive.put(key, LOG);
    const { text, totals, pages } = await readAll(h, 'run-a');
    expect(text).toBe(LOG);
    expect(totals.every((total) => total === pages)).toBe(true);
    expect(archive.reads[0]).toEqual({ key, start: 0 });
  });

  it('says what to do when the pod is gone and nothing was archived', async () => {
    const without = harness();
    finishedRun(without, 'run-x', 'k/run-x/main.log');
    await expect(without.operations.getIngestionLogs({ pipeline: p, runId: 'run-x' })).rejects.toThrow(
      /Turn on logs\.archive/,
    );
    const archive = new MemoryLogArchive();
    const h = harness({}, { logArchive: archive });
    finishedRun(h, 'run-y', 'k/run-y/main.log');
    const error = await h.operations
      .getIngestionLogs({ pipeline: p, runId: 'run-y' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(/Argo archived no copy of them/);
  });

  it('finds the archived log key on the latest main pod node, never the exit handler’s', () => {
    const artifact = (key: string) => ({ outputs: { artifacts: [{ name: 'main-logs', s3: { key } }] } });
    const run = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'wf' },
      status: {
        nodes: {
          a: { type: 'Pod', templateName: 'main', startedAt: '2026-11-28T10:00:00Z', ...artifact('first') },
          b: { type: 'Pod', templateName: 'main', startedAt: '2026-11-28T10:05:00Z', ...artifact('retry') },
          c: { type: 'Pod', templateName: 'exit', startedAt: '2026-11-28T10:10:00Z', ...artifact('exit') },
          d: { type: 'Retry', templateName: 'main' },
        },
      },
    };
    expect(archivedLogKey(run)).toBe('retry');
    expect(archivedLogKey({ ...run, status: {} })).toBeUndefined();
  });
});
