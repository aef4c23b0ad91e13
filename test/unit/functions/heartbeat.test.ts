// The scheduled heartbeat function: runnerStatus to every connection, gone ones pruned, and
// pipelineStatus events for runs whose state changed (including one whose image cannot be pulled).
import { describe, expect, it, vi } from 'vitest';
import {
  ANNOTATIONS,
  LABELS,
  MANAGED_BY,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  REPORTED_STATE_ANNOTATION,
  RESOURCES,
} from '@hybrid-runner/core';
import { handleHeartbeat } from '../../../functions/schedule/heartbeat.ts';
import { AGENT_ID, lambdaContext, useFunctionHarness } from './harness.ts';

const h = useFunctionHarness();

async function connect(id: string) {
  await h.connections.put({
    connectionId: id,
    agentId: AGENT_ID,
    connectedAt: Date.now(),
    ttl: Date.now() / 1000 + 3600,
  });
}

function seedRun(name: string, phase: string) {
  return h.cluster.seed(RESOURCES.workflow, h.settings.namespace, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.kind]: 'ingestion' },
      annotations: { [ANNOTATIONS.pipelineFqn]: `svc.${name}`, [ANNOTATIONS.runId]: `run-${name}` },
    },
    status: { phase },
  });
}

const events = (name: string) =>
  h.sent
    .map((s) => JSON.parse(s.text) as { event: string; payload: Record<string, unknown> })
    .filter((e) => e.event === name);

describe('heartbeat function', () => {
  it('sends runnerStatus to every connection and prunes the gone ones', async () => {
    await connect('a');
    await connect('b');
    await connect('gone');
    h.gone.add('gone');
    const result = await handleHeartbeat({}, lambdaContext());
    expect(result.heartbeat).toMatchObject({ connections: 3, sent: 2, gone: ['gone'], failed: 0 });
    expect(await h.connections.get('gone')).toBeUndefined();
    expect(events('runnerStatus').map((e) => e.payload)).toEqual([
      expect.objectContaining({ agentId: AGENT_ID, status: 'active', connections: 3 }),
      expect.objectContaining({ agentId: AGENT_ID, status: 'active', connections: 3 }),
    ]);
  });

  it('pushes pipelineStatus for changed runs to every connection, once per change', async () => {
    await connect('a');
    await connect('b');
    seedRun('wf-ok', 'Succeeded');
    const pulled = seedRun('wf-pull', 'Pending');
    h.cluster.seed(RESOURCES.pod, h.settings.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'wf-pull-main-1', labels: { 'workflows.argoproj.io/workflow': 'wf-pull' } },
      status: {
        phase: 'Pending',
        containerStatuses: [
          { name: 'main', state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied' } } },
        ],
      },
    });
    const first = await handleHeartbeat({}, lambdaContext());
    expect(first.reconcile).toMatchObject({ examined: 2, reported: 2, finished: true });
    const statuses = events('pipelineStatus');
    expect(statuses).toHaveLength(4);
    expect(statuses.find((e) => e.payload.workflowName === 'wf-pull')?.payload).toMatchObject({
      pipelineFQN: 'svc.wf-pull',
      pipelineState: 'failed',
      reason: expect.stringMatching(/ErrImagePull/),
    });
    const stored = await h.cluster.get(RESOURCES.workflow, h.settings.namespace, pulled.metadata.name!);
    expect(stored?.metadata.annotations?.[REPORTED_STATE_ANNOTATION]).toBe('failed');

    h.reset();
    expect((await handleHeartbeat({}, lambdaContext())).reconcile).toMatchObject({ reported: 0 });
    expect(events('pipelineStatus')).toHaveLength(0);
  });

  it('skips reconciliation when nobody is connected', async () => {
    seedRun('wf-alone', 'Succeeded');
    const result = await handleHeartbeat({}, lambdaContext());
    expect(result.reconcile).toBeUndefined();
    expect(h.sent).toHaveLength(0);
  });

  it('reports when the registry credentials expire, read from the pull secret', async () => {
    await connect('a');
    h.cluster.seed(RESOURCES.secret, h.settings.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: h.settings.imagePullSecrets[0]!,
        annotations: { [REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt]: '2026-11-28T18:00:00.000Z' },
      },
      type: 'kubernetes.io/dockerconfigjson',
    });
    await handleHeartbeat({}, lambdaContext());
    expect(events('runnerStatus')[0]?.payload.ecrCredentialsExpireAt).toBe('2026-11-28T18:00:00.000Z');
  });

  it('beats without the expiry when the cluster does not answer in time', async () => {
    await connect('a');
    // A blackholed endpoint: the read would take minutes of timeouts and retries.
    const hanging = vi.spyOn(h.cluster, 'getMetadata').mockImplementation(() => new Promise(() => {}));
    try {
      const started = Date.now();
      const result = await handleHeartbeat({}, lambdaContext(5_000));
      expect(result.heartbeat).toMatchObject({ connections: 1, sent: 1 });
      expect(events('runnerStatus')[0]?.payload.ecrCredentialsExpireAt).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      hanging.mockRestore();
    }
  }, 4_000);

  it('still beats when the cluster cannot be read for the expiry', async () => {
    await connect('a');
    h.cluster.reachable = false;
    try {
      const result = await handleHeartbeat({}, lambdaContext()).catch((error: unknown) => error);
      // The reconcile pass needs the cluster and fails loudly; the heartbeat itself went out first.
      expect(events('runnerStatus')).toHaveLength(1);
      expect(events('runnerStatus')[0]?.payload.ecrCredentialsExpireAt).toBeUndefined();
      expect(result).toBeInstanceOf(Error);
    } finally {
      h.cluster.reachable = true;
    }
  });
});
