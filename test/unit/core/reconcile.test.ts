// Reconciliation against a small in-memory cluster fake: changed runs reported once, runs that cannot
// start reported failed with the reason, bounded and resumable paging.
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  ClusterUnavailableError,
  ConflictError,
  LABELS,
  MANAGED_BY,
  NotFoundError,
  REPORTED_STATE_ANNOTATION,
  reconcileRuns,
  type ClusterPort,
  type KubeObject,
  type ListOptions,
  type ReconcileOptions,
  type ReportedRun,
} from '@hybrid-runner/core';
import { InMemoryCursorStore } from '@hybrid-runner/local';
import { eventSchemaFor, type EventMessage } from '@hybrid-runner/protocol';

const NAMESPACE = 'collate-ingestion';
const NOW = new Date('2026-03-01T12:00:00Z');

/** Only what reconcile uses: paged, label-selected lists of workflows and pods, and merge patches. */
class FakeCluster {
  workflows: KubeObject[] = [];
  pods: KubeObject[] = [];
  lists = 0;
  expiredTokens = new Set<string>();
  reachable = true;

  port(): ClusterPort {
    const notUsed = () => {
      throw new Error('not used by reconcile');
    };
    return {
      list: async <T extends KubeObject>(
        type: { plural: string },
        _ns: string | undefined,
        options?: ListOptions,
      ) => {
        this.lists++;
        if (!this.reachable) throw new ClusterUnavailableError('API server unreachable');
        // The port's contract: a 410 Gone on a continued page is a ConflictError.
        if (options?.continue && this.expiredTokens.has(options.continue))
          throw new ConflictError('410 Gone: expired');
        const source = type.plural === 'pods' ? this.pods : this.workflows;
        const selected = source.filter((object) => matches(object, options?.labelSelector));
        const start = options?.continue ? Number(options.continue) : 0;
        const end = options?.limit ? start + options.limit : selected.length;
        const items = structuredClone(selected.slice(start, end)) as T[];
        return end < selected.length ? { items, continue: String(end) } : { items };
      },
      mergePatch: async <T extends KubeObject>(
        _type: unknown,
        _ns: unknown,
        name: string,
        patch: Record<string, unknown>,
      ) => {
        const target = this.workflows.find((w) => w.metadata.name === name);
        if (!target) throw new NotFoundError(`workflow ${name} not found`);
        const annotations = (patch.metadata as { annotations: Record<string, string> }).annotations;
        target.metadata.annotations = { ...target.metadata.annotations, ...annotations };
        return target as T;
      },
      create: notUsed,
      replace: notUsed,
      delete: notUsed,
      get: notUsed,
      getMetadata: notUsed,
      podLogs: notUsed,
      serverVersion: notUsed,
      hasResource: notUsed,
    } as unknown as ClusterPort;
  }
}

function matches(object: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return object.metadata.labels?.[key!] === value;
  });
}

function workflow(name: string, phase: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      namespace: NAMESPACE,
      creationTimestamp: '2026-03-01T11:00:00Z',
      labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.runId]: `run-${name}` },
      annotations: { [ANNOTATIONS.pipelineFqn]: `svc.${name}`, [ANNOTATIONS.runId]: `run-${name}` },
      ...extra,
    },
    status: { phase, ...(phase === 'Running' ? { startedAt: '2026-03-01T11:00:05Z' } : {}) },
  };
}

function imagePullPod(workflowName: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${workflowName}-main-1`,
      namespace: NAMESPACE,
      labels: { 'workflows.argoproj.io/workflow': workflowName },
    },
    status: {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'main',
          state: {
            waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x": 401 Unauthorized' },
          },
        },
      ],
    },
  };
}

function setup(cluster: FakeCluster, overrides: Partial<ReconcileOptions> = {}) {
  const events: Array<EventMessage<'pipelineStatus'>> = [];
  const cursor = new InMemoryCursorStore({ now: () => NOW.getTime() });
  const options: ReconcileOptions = {
    cluster: cluster.port(),
    settings: { namespace: NAMESPACE },
    clock: { now: () => NOW },
    cursor,
    publish: async (event) => {
      events.push(event);
      return true;
    },
    remainingMs: () => 60_000,
    ...overrides,
  };
  return { events, cursor, options };
}

describe('reconcileRuns', () => {
  it('reports each run once per state change and remembers it on the Workflow', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-a', 'Running'), workflow('wf-b', 'Succeeded')];
    const { events, options } = setup(cluster);
    expect(await reconcileRuns(options)).toMatchObject({ examined: 2, reported: 2, finished: true });
    expect(events.map((e) => [e.payload.workflowName, e.payload.pipelineState])).toEqual([
      ['wf-a', 'running'],
      ['wf-b', 'success'],
    ]);
    for (const event of events) expect(eventSchemaFor('pipelineStatus').safeParse(event).success).toBe(true);
    expect(events[0]?.payload).toMatchObject({ pipelineFQN: 'svc.wf-a', runId: 'run-wf-a' });
    expect(cluster.workflows[0]?.metadata.annotations?.[REPORTED_STATE_ANNOTATION]).toBe('running');

    expect(await reconcileRuns(options)).toMatchObject({ reported: 0 });
    (cluster.workflows[0]!.status as { phase: string }).phase = 'Failed';
    await reconcileRuns(options);
    expect(events.at(-1)?.payload).toMatchObject({ workflowName: 'wf-a', pipelineState: 'failed' });
    expect(events).toHaveLength(3);
  });

  it('reports a run whose image cannot be pulled as failed, with the reason', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-pull', 'Running')];
    cluster.pods = [imagePullPod('wf-pull')];
    const { events, options } = setup(cluster);
    await reconcileRuns(options);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload.pipelineState).toBe('failed');
    expect(events[0]?.payload.reason).toMatch(/ImagePullBackOff/);
  });

  it('tells onReported what each delivered change was: state, start failure, when it changed', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-run', 'Running'), workflow('wf-pull', 'Running')];
    cluster.pods = [imagePullPod('wf-pull')];
    const reported: ReportedRun[] = [];
    const { options } = setup(cluster, { onReported: (run) => reported.push(run) });
    await reconcileRuns(options);
    expect(reported).toEqual([
      { pipelineState: 'running', failedBeforeStart: false, changedAt: Date.parse('2026-03-01T11:00:05Z') },
      { pipelineState: 'failed', failedBeforeStart: true, changedAt: NOW.getTime() },
    ]);
    // Undelivered changes are not reported (they are published again on the next pass).
    const undelivered: ReportedRun[] = [];
    cluster.workflows = [workflow('wf-new', 'Pending')];
    await reconcileRuns({
      ...setup(cluster).options,
      publish: async () => false,
      onReported: (run) => undelivered.push(run),
    });
    expect(undelivered).toEqual([]);
  });

  it('skips workflows without a pipeline (automations) and lists pods only for unfinished runs', async () => {
    const cluster = new FakeCluster();
    const automation = workflow('auto-1', 'Running');
    delete automation.metadata.annotations?.[ANNOTATIONS.pipelineFqn];
    cluster.workflows = [automation, workflow('done-1', 'Succeeded')];
    const { events, options } = setup(cluster);
    await reconcileRuns(options);
    expect(events.map((e) => e.payload.workflowName)).toEqual(['done-1']);
    expect(cluster.lists).toBe(1);
  });

  it('stops when the time budget runs out and resumes from the stored cursor', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = Array.from({ length: 10 }, (_, i) => workflow(`wf-${i}`, 'Succeeded'));
    let remaining = 60_000;
    const { events, cursor, options } = setup(cluster, {
      pageSize: 3,
      reserveMs: 1000,
      remainingMs: () => remaining,
      publish: async (event) => {
        events.push(event);
        remaining -= 20_000;
        return true;
      },
    });
    const first = await reconcileRuns(options);
    expect(first.finished).toBe(false);
    expect(await cursor.get('reconcile')).toBe('3');
    remaining = 10_000_000;
    const second = await reconcileRuns(options);
    expect(second).toMatchObject({ finished: true, examined: 7 });
    expect(new Set(events.map((e) => e.payload.workflowName)).size).toBe(10);
    expect(await cursor.get('reconcile')).toBeUndefined();
  });

  it('caps the pages per invocation', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = Array.from({ length: 10 }, (_, i) => workflow(`wf-${i}`, 'Succeeded'));
    const { options } = setup(cluster, { pageSize: 2, maxPages: 2 });
    expect(await reconcileRuns(options)).toMatchObject({ pages: 2, examined: 4, finished: false });
  });

  it('starts over when the stored continue token has expired', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-x', 'Succeeded')];
    cluster.expiredTokens.add('stale');
    const { events, cursor, options } = setup(cluster);
    await cursor.set('reconcile', 'stale', { retainSeconds: 60 });
    expect(await reconcileRuns(options)).toMatchObject({ finished: true, examined: 1 });
    expect(events).toHaveLength(1);
  });

  it('keeps its place and lists once when the cluster is unavailable mid-walk', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-y', 'Succeeded')];
    cluster.reachable = false;
    const { cursor, options } = setup(cluster);
    await cursor.set('reconcile', '1', { retainSeconds: 60 });
    await expect(reconcileRuns(options)).rejects.toBeInstanceOf(ClusterUnavailableError);
    // No second (first-page) list: each one can take the transport's full retry budget.
    expect(cluster.lists).toBe(1);
    expect(await cursor.get('reconcile')).toBe('1');
  });

  it('ignores a run deleted between listing and remembering', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-gone', 'Succeeded')];
    const { options } = setup(cluster, {
      publish: async () => {
        cluster.workflows = [];
        return true;
      },
    });
    expect(await reconcileRuns(options)).toMatchObject({ reported: 1, finished: true });
  });

  it('lists only the runner’s own workflows', async () => {
    const cluster = new FakeCluster();
    const foreign = workflow('foreign', 'Succeeded');
    foreign.metadata.labels = {};
    cluster.workflows = [foreign];
    const { events, options } = setup(cluster);
    await reconcileRuns(options);
    expect(events).toHaveLength(0);
  });

  it('does not remember a change nobody received, so the next pass reports it again', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = [workflow('wf-lost', 'Succeeded')];
    let deliver = false;
    const { events, options } = setup(cluster, {
      publish: async (event) => {
        events.push(event);
        return deliver;
      },
    });
    expect(await reconcileRuns(options)).toMatchObject({ reported: 0 });
    expect(cluster.workflows[0]?.metadata.annotations?.[REPORTED_STATE_ANNOTATION]).toBeUndefined();
    deliver = true;
    expect(await reconcileRuns(options)).toMatchObject({ reported: 1 });
    expect(events).toHaveLength(2);
  });

  it('stops mid-page when time runs out and resumes that page without repeating what was reported', async () => {
    const cluster = new FakeCluster();
    cluster.workflows = Array.from({ length: 6 }, (_, i) => workflow(`wf-${i}`, 'Succeeded'));
    let remaining = 10_000;
    const { events, cursor, options } = setup(cluster, {
      pageSize: 4,
      reserveMs: 1000,
      remainingMs: () => remaining,
      publish: async (event) => {
        events.push(event);
        remaining -= 4000;
        return true;
      },
    });
    expect(await reconcileRuns(options)).toMatchObject({ examined: 3, reported: 3, finished: false });
    expect(await cursor.get('reconcile')).toBeUndefined();
    remaining = 1_000_000;
    expect(await reconcileRuns(options)).toMatchObject({ reported: 3, finished: true });
    expect(events.map((e) => e.payload.workflowName)).toEqual([
      'wf-0',
      'wf-1',
      'wf-2',
      'wf-3',
      'wf-4',
      'wf-5',
    ]);
  });
});
