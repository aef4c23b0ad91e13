import { afterEach, describe, expect, it, vi } from 'vitest';
import { startScheduler, type TaskOutcome } from '@hybrid-runner/local';
import { clearRegisteredSecrets, registerSecret } from '@hybrid-runner/observability';

afterEach(() => {
  vi.useRealTimers();
});

describe('startScheduler (the local stand-in for EventBridge schedules)', () => {
  it('runs a task at start when asked, then every interval, reporting each outcome', async () => {
    vi.useFakeTimers();
    const outcomes: TaskOutcome[] = [];
    let runs = 0;
    const scheduler = startScheduler(
      [{ name: 'tick', intervalMs: 1000, runAtStart: true, run: async () => `run ${++runs}` }],
      (outcome) => outcomes.push(outcome),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes.map((o) => o.summary)).toEqual(['run 1']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(outcomes.map((o) => o.summary)).toEqual(['run 1', 'run 2', 'run 3', 'run 4']);
    expect(outcomes.every((o) => o.ok && o.task === 'tick')).toBe(true);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(4);
  });

  it('does not start a run while the previous one is still going (skips the tick)', async () => {
    vi.useFakeTimers();
    let running = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'slow',
          intervalMs: 100,
          run: async () => {
            running++;
            runs++;
            maxConcurrent = Math.max(maxConcurrent, running);
            await new Promise((resolve) => setTimeout(resolve, 350));
            running--;
            return 'done';
          },
        },
      ],
      () => {},
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(maxConcurrent).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThan(10);
    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(400);
    await stopping;
    expect(running).toBe(0);
  });

  it('reports a failing run with its message and keeps the schedule going', async () => {
    vi.useFakeTimers();
    const outcomes: TaskOutcome[] = [];
    let calls = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'flaky',
          intervalMs: 100,
          run: async () => {
            calls++;
            if (calls === 1) throw new Error('cluster unreachable');
            return 'recovered';
          },
        },
      ],
      (outcome) => outcomes.push(outcome),
    );
    await vi.advanceTimersByTimeAsync(250);
    expect(outcomes.map((o) => [o.ok, o.summary])).toEqual([
      [false, 'cluster unreachable'],
      [true, 'recovered'],
    ]);
    await scheduler.stop();
  });

  it('runNow runs a task on demand, shares a run in progress, and rejects unknown names', async () => {
    let release: () => void = () => {};
    let runs = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'refresh',
          intervalMs: 3_600_000,
          run: () =>
            new Promise<string>((resolve) => {
              runs++;
              release = () => resolve('refreshed');
            }),
        },
      ],
      () => {},
    );
    const first = scheduler.runNow('refresh');
    const second = scheduler.runNow('refresh');
    release();
    expect(await first).toMatchObject({ ok: true, summary: 'refreshed' });
    expect(await second).toBe(await first);
    expect(runs).toBe(1);
    await expect(scheduler.runNow('nope')).rejects.toThrow('No scheduled task named nope');
    await scheduler.stop();
  });

  it('stop waits for the run in progress', async () => {
    let finished = false;
    const scheduler = startScheduler(
      [
        {
          name: 'long',
          intervalMs: 3_600_000,
          runAtStart: true,
          run: async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            finished = true;
            return 'ok';
          },
        },
      ],
      () => {},
    );
    await scheduler.stop();
    expect(finished).toBe(true);
  });

  it("starts each scheduled run within the task's flexible window after its tick, as Scheduler does", async () => {
    vi.useFakeTimers();
    try {
      const started: number[] = [];
      const scheduler = startScheduler(
        [
          {
            name: 'spread',
            intervalMs: 60_000,
            flexibleWindowMs: 10_000,
            run: async () => {
              started.push(Date.now());
              return 'ran';
            },
          },
        ],
        () => {},
        () => 0.75,
      );
      const origin = Date.now();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(started).toEqual([]);
      await vi.advanceTimersByTimeAsync(7_499);
      expect(started).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(started).toEqual([origin + 67_500]);
      await scheduler.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a task without a positive interval', () => {
    expect(() => startScheduler([{ name: 'bad', intervalMs: 0, run: async () => '' }], () => {})).toThrow(
      'Task bad: intervalMs must be positive.',
    );
  });

  it('redacts summaries before they reach the terminal (registered secrets and credential shapes)', async () => {
    const loaded = 'seeded-secret-value-for-the-scheduler';
    registerSecret(loaded);
    try {
      const outcomes: TaskOutcome[] = [];
      const scheduler = startScheduler(
        [
          { name: 'ok', intervalMs: 60_000, run: async () => `read ${loaded}` },
          {
            name: 'failing',
            intervalMs: 60_000,
            run: async () => {
              throw new Error('login refused for AKIAIOSFODNN7EXAMPLE');
            },
          },
        ],
        (outcome) => outcomes.push(outcome),
      );
      await scheduler.runNow('ok');
      await scheduler.runNow('failing');
      await scheduler.stop();
      expect(outcomes.map((o) => o.summary)).toEqual(['read [REDACTED]', 'login refused for [REDACTED]']);
    } finally {
      clearRegisteredSecrets();
    }
  });
});
