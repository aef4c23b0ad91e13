import { describe, expect, it, vi } from 'vitest';
import type { HeartbeatResult } from '../../../functions/schedule/heartbeat.ts';
import { cleanupStack } from '../../../packages/local/src/cleanups.ts';
import type { Scheduler } from '../../../packages/local/src/scheduler.ts';
import type { StageFunctions } from '../../../packages/local/src/stage-functions.ts';
import {
  configureNewNamespacesRefresh,
  heartbeatSummary,
} from '../../../packages/local/src/stage-schedules.ts';

describe('heartbeatSummary (the terminal line of a beat)', () => {
  const beat = { sent: 2, connections: 3, gone: ['c'], failed: 0 } as unknown as HeartbeatResult['heartbeat'];
  it('counts the connections, and adds what reconciling and the namespace check did', () => {
    expect(heartbeatSummary({ heartbeat: beat })).toBe(
      'runnerStatus to 2 of 3 connection(s), 1 gone, 0 failed',
    );
    expect(
      heartbeatSummary({
        heartbeat: beat,
        reconcile: { examined: 4, reported: 1 } as never,
        newNamespaces: { refreshStarted: true, newNamespaces: ['collate-b', 'collate-c'] } as never,
      }),
    ).toBe(
      'runnerStatus to 2 of 3 connection(s), 1 gone, 0 failed; 4 run(s) examined, 1 status event(s); registry refresh started for collate-b, collate-c',
    );
    expect(
      heartbeatSummary({
        heartbeat: beat,
        newNamespaces: { refreshStarted: false, error: 'list denied' } as never,
      }),
    ).toMatch(/; list denied$/);
  });
});

describe('configureNewNamespacesRefresh', () => {
  const setUp = (include: string[]) => {
    const configure = vi.fn();
    const runNow = vi.fn(async () => undefined);
    const cleanups = cleanupStack(() => {});
    configureNewNamespacesRefresh(
      {
        functions: {
          newNamespacesCheck: { configureNewNamespacesCheck: configure },
        } as unknown as StageFunctions,
        ingestionNamespace: 'collate-ingestion',
        registry: { include, exclude: [], pullSecretName: 'omd-registry-credentials' } as never,
        scheduler: { runNow } as unknown as Scheduler,
      },
      cleanups,
    );
    return { configure, runNow, cleanups };
  };

  it('with pattern targets, a new namespace starts this stage ECR refresh; the check is dropped on close', async () => {
    const { configure, runNow, cleanups } = setUp(['collate-*']);
    const check = configure.mock.calls[0]?.[0] as { refresh: { start(): Promise<void> } };
    await check.refresh.start();
    expect(runNow).toHaveBeenCalledWith('ecr-refresh');
    await cleanups.runAll();
    expect(configure).toHaveBeenLastCalledWith(undefined);
  });

  it('with named targets only, no check (null, not the environment)', () => {
    expect(setUp(['collate-ingestion']).configure).toHaveBeenCalledWith(null);
  });
});
