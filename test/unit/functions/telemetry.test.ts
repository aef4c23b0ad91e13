// Which metrics a context gets: injected ones as given, else the environment's when it names a stage (the
// local stage), else local metrics per agent; and the handlers' middleware publishes all of them.
import { describe, expect, it } from 'vitest';
import { OBSERVABILITY_ENV, createMetrics, type EmfDocument } from '@hybrid-runner/observability';
import {
  environmentMetrics,
  flushContainerMetrics,
  forgetEnvironmentMetrics,
  injectedMetrics,
} from '../../../functions/lib/telemetry.ts';

const quietEnv = {
  [OBSERVABILITY_ENV.stage]: 'local',
  [OBSERVABILITY_ENV.agentId]: 'env-agent',
  [OBSERVABILITY_ENV.metricsSink]: 'off',
};

describe('container metrics', () => {
  it('uses injected metrics as given, else local metrics for the agent (one per agent)', () => {
    const given = createMetrics({ stage: 'given', agentId: 'a', sink: () => undefined });
    expect(injectedMetrics('a', given, {})).toBe(given);
    const local = injectedMetrics('b', undefined, {});
    expect(local).toMatchObject({ stage: 'local', agentId: 'b' });
    expect(injectedMetrics('b', undefined, {})).toBe(local);
  });

  it('uses the environment when it names a stage, read afresh after forgetting', () => {
    forgetEnvironmentMetrics();
    const fromEnv = injectedMetrics('ignored', undefined, quietEnv);
    expect(fromEnv).toMatchObject({ stage: 'local', agentId: 'env-agent' });
    expect(environmentMetrics(quietEnv)).toBe(fromEnv);
    forgetEnvironmentMetrics();
    expect(environmentMetrics({ ...quietEnv, [OBSERVABILITY_ENV.agentId]: 'next' }).agentId).toBe('next');
    forgetEnvironmentMetrics();
  });

  it('publishes every metrics instance in use when a handler returns or throws', async () => {
    const documents: EmfDocument[] = [];
    const metrics = injectedMetrics(
      'flush',
      createMetrics({ stage: 's', agentId: 'flush', sink: (document) => documents.push(document) }),
    );
    const middleware = flushContainerMetrics();
    metrics.add('ConnectionsOpened', 1);
    await middleware.after?.({} as never);
    expect(documents).toHaveLength(1);
    metrics.add('ConnectionsRefused', 1);
    await middleware.onError?.({} as never);
    expect(documents).toHaveLength(2);
  });
});
