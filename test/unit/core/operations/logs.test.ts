import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError, RESOURCES, logTextBudget } from '@hybrid-runner/core';
import { BOT_TOKEN, harness, pipeline, seedPod, seedRun } from './setup.ts';

const p = pipeline();
const NS = 'collate-ingestion';
const HOUR = 3_600_000;
const NOW = new Date('2026-11-28T12:00:00Z');

describe('getIngestionLogs', () => {
  it('serves the latest run’s main container log under the pipeline type’s task key', async () => {
    const h = harness();
    const old = seedRun(h, p, 'run-old', { phase: 'Succeeded' }, new Date(NOW.getTime() - 2 * HOUR));
    const latest = seedRun(h, p, 'run-new', { phase: 'Running' }, new Date(NOW.getTime() - HOUR));
    h.cluster.setPodLog(NS, seedPod(h, old).metadata.name as string, 'old log\n');
    h.cluster.setPodLog(NS, seedPod(h, latest).metadata.name as string, 'new log\n');
    h.cluster.setPodLog(
      NS,
      seedPod(h, latest, { template: 'exit' }).metadata.name as string,
      'exit handler log\n',
    );
    expect(await h.operations.getIngestionLogs({ pipeline: p })).toEqual({
      ingestion_task: 'new log\n',
      total: 1,
    });
    expect(await h.operations.getIngestionLogs({ pipeline: p, runId: 'run-old' })).toEqual({
      ingestion_task: 'old log\n',
      total: 1,
    });
    const profiler = pipeline({ pipelineType: 'profiler' });
    const run = seedRun(h, profiler, 'run-p', { phase: 'Succeeded' });
    h.cluster.setPodLog(NS, seedPod(h, run).metadata.name as string, 'profiling\n');
    expect(await h.operations.getIngestionLogs({ pipeline: profiler, runId: 'run-p' })).toEqual({
      profiler_task: 'profiling\n',
      total: 1,
    });
  });

  it('redacts both halves of a bot token that a chunk boundary cuts in two', async () => {
    const h = harness();
    const run = seedRun(h, p, 'run-cut', { phase: 'Succeeded' });
    const before = 'x'.repeat(logTextBudget('ingestion_task') - 25);
    h.cluster.setPodLog(NS, seedPod(h, run).metadata.name as string, `${before}${BOT_TOKEN}\nafter\n`);
    const first = await h.operations.getIngestionLogs({ pipeline: p, runId: 'run-cut' });
    const second = await h.operations.getIngestionLogs({
      pipeline: p,
      runId: 'run-cut',
      after: first.after as string,
    });
    expect(first.total).toBe(2);
    expect(first.ingestion_task).toBe(`${before}[redacted]`);
    expect(second.ingestion_task).toBe('[redacted]\nafter\n');
    expect(`${first.ingestion_task as string}${second.ingestion_task as string}`).not.toContain(
      BOT_TOKEN.slice(20, 40),
    );
  });

  it('pages a large log with cursors; every page fits a message and they reassemble', async () => {
    const h = harness();
    const run = seedRun(h, p, 'run-big', { phase: 'Succeeded' });
    const log = Array.from({ length: 20_000 }, (_, i) => `${i} INFO "quoted" é 😀 \u0001 line\n`).join('');
    h.cluster.setPodLog(NS, seedPod(h, run).metadata.name as string, log);
    const texts: string[] = [];
    let after: string | undefined;
    let total = 0;
    do {
      const page = await h.operations.getIngestionLogs({
        pipeline: p,
        runId: 'run-big',
        ...(after ? { after } : {}),
      });
      texts.push(page.ingestion_task as string);
      const envelope = {
        v: 1,
        id: 'x'.repeat(128),
        type: 'response',
        op: 'getIngestionLogs',
        ok: true,
        payload: page,
      };
      expect(Buffer.byteLength(JSON.stringify(envelope))).toBeLessThan(128 * 1024);
      after = page.after;
      total = page.total;
    } while (after);
    expect(texts.join('')).toBe(log);
    expect(total).toBe(texts.length);
    expect(total).toBeGreaterThan(3);
  });

  it('refuses a cursor of another run', async () => {
    const h = harness();
    const a = seedRun(h, p, 'run-a', { phase: 'Succeeded' });
    const b = seedRun(h, p, 'run-b', { phase: 'Succeeded' });
    h.cluster.setPodLog(NS, seedPod(h, a).metadata.name as string, 'a'.repeat(300_000));
    h.cluster.setPodLog(NS, seedPod(h, b).metadata.name as string, 'b'.repeat(300_000));
    const first = await h.operations.getIngestionLogs({ pipeline: p, runId: 'run-a' });
    await expect(
      h.operations.getIngestionLogs({ pipeline: p, runId: 'run-b', after: first.after as string }),
    ).rejects.toThrow(BadRequestError);
  });

  it('keeps paging the run a cursor came from when a newer run starts meanwhile', async () => {
    const h = harness();
    const first = seedRun(h, p, 'run-1', { phase: 'Running' }, new Date(NOW.getTime() - HOUR));
    h.cluster.setPodLog(NS, seedPod(h, first).metadata.name as string, `${'1'.repeat(200_000)}END`);
    const page1 = await h.operations.getIngestionLogs({ pipeline: p });
    const second = seedRun(h, p, 'run-2', { phase: 'Running' });
    h.cluster.setPodLog(NS, seedPod(h, second).metadata.name as string, 'second run\n');
    const page2 = await h.operations.getIngestionLogs({ pipeline: p, after: page1.after as string });
    expect(`${page1.ingestion_task}${page2.ingestion_task}`).toBe(`${'1'.repeat(200_000)}END`);
    expect(await h.operations.getIngestionLogs({ pipeline: p })).toEqual({
      ingestion_task: 'second run\n',
      total: 1,
    });
  });

  it('explains garbage-collected pods, runs not started, unknown runs and pipelines without runs', async () => {
    const h = harness();
    await expect(h.operations.getIngestionLogs({ pipeline: p })).rejects.toThrow(
      /has no runs on this runner yet/,
    );
    seedRun(h, p, 'run-gc', { phase: 'Succeeded' }, new Date(NOW.getTime() - HOUR));
    const gc = await h.operations.getIngestionLogs({ pipeline: p, runId: 'run-gc' }).catch((e: unknown) => e);
    expect(gc).toBeInstanceOf(NotFoundError);
    expect((gc as Error).message).toMatch(/run run-gc .* are gone: its pod was garbage-collected/);
    seedRun(h, p, 'run-queued', { phase: 'Pending' });
    await expect(h.operations.getIngestionLogs({ pipeline: p })).rejects.toThrow(
      /run-queued .* has not started yet \(no pod exists\)/,
    );
    const starting = seedRun(h, p, 'run-starting', { phase: 'Running' });
    seedPod(h, starting, { phase: 'Pending' });
    await expect(h.operations.getIngestionLogs({ pipeline: p, runId: 'run-starting' })).rejects.toThrow(
      /still pending/,
    );
    await expect(h.operations.getIngestionLogs({ pipeline: p, runId: 'missing' })).rejects.toThrow(
      /Run missing of pipeline .* was not found/,
    );
    expect(h.cluster.all(RESOURCES.pod)).toHaveLength(1);
  });
});
