import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  ARGO_PHASE_LABEL,
  DEFAULT_UNSCHEDULABLE_LIMIT_MS,
  detectStartFailure,
  workflowToRunStatus,
} from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const CREATED = '2026-11-28T11:00:00Z';
const STARTED = '2026-11-28T11:00:05Z';
const FINISHED = '2026-11-28T11:10:00Z';

function workflow(status: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name: 'svc-db-metadata-1a2b3c4d',
      uid: 'uid-1',
      creationTimestamp: CREATED,
      annotations: { [ANNOTATIONS.runId]: '1a2b3c4d-0000-4000-8000-000000000000' },
    },
    spec,
    status,
  };
}

function pod(status: Record<string, unknown>, creationTimestamp = STARTED): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'svc-db-metadata-1a2b3c4d-main-123', creationTimestamp },
    status,
  };
}

const mainNode = (phase: string, extra: Record<string, unknown> = {}) => ({
  nodes: {
    n1: { id: 'n1', name: 'wf', displayName: 'wf', type: 'Steps', phase },
    n2: { id: 'n2', name: 'wf.main', displayName: 'main', type: 'Pod', phase, ...extra },
  },
});

describe('workflowToRunStatus', () => {
  it('maps identity and dates in epoch ms', () => {
    const status = workflowToRunStatus(
      workflow({ phase: 'Succeeded', startedAt: STARTED, finishedAt: FINISHED }),
      NOW,
    );
    expect(status).toEqual({
      runId: '1a2b3c4d-0000-4000-8000-000000000000',
      workflowName: 'svc-db-metadata-1a2b3c4d',
      pipelineState: 'success',
      timestamp: Date.parse(CREATED),
      startDate: Date.parse(STARTED),
      endDate: Date.parse(FINISHED),
    });
  });

  it('uses the workflow uid as run id for cron-spawned runs, and now when nothing is dated', () => {
    const spawned: KubeObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'cron-1700000000', uid: 'u-9' },
    };
    expect(workflowToRunStatus(spawned, NOW)).toEqual({
      runId: 'u-9',
      workflowName: 'cron-1700000000',
      pipelineState: 'queued',
      timestamp: NOW,
    });
  });

  it.each([
    ['', 'queued'],
    ['Pending', 'queued'],
    ['Running', 'running'],
    ['Succeeded', 'success'],
    ['Failed', 'failed'],
    ['Error', 'failed'],
  ])('phase %j → %s', (phase, state) => {
    expect(workflowToRunStatus(workflow({ phase }), NOW).pipelineState).toBe(state);
  });

  it('reports a workflow with startedAt and nodes but no phase yet as running, not queued', () => {
    const partial = workflowToRunStatus(workflow({ startedAt: STARTED, ...mainNode('Running') }), NOW);
    expect(partial.pipelineState).toBe('running');
    expect(partial.startDate).toBe(Date.parse(STARTED));
    // startedAt alone (no node yet) or nodes without a start are not enough to say it started
    expect(workflowToRunStatus(workflow({ startedAt: STARTED }), NOW).pipelineState).toBe('queued');
    expect(workflowToRunStatus(workflow({ nodes: {}, startedAt: STARTED }), NOW).pipelineState).toBe(
      'queued',
    );
  });

  it.each([
    ['Running', 'running'],
    ['Succeeded', 'success'],
    ['Failed', 'failed'],
    ['Pending', 'queued'],
  ])('without status.phase, the %s phase label gives %s', (label, state) => {
    const labelled = workflow({ startedAt: STARTED, ...mainNode('Running') });
    labelled.metadata.labels = { [ARGO_PHASE_LABEL]: label };
    expect(workflowToRunStatus(labelled, NOW).pipelineState).toBe(state);
  });

  it('prefers status.phase over the phase label (the label may lag the status)', () => {
    const lagging = workflow({ phase: 'Succeeded', startedAt: STARTED, finishedAt: FINISHED });
    lagging.metadata.labels = { [ARGO_PHASE_LABEL]: 'Running' };
    expect(workflowToRunStatus(lagging, NOW).pipelineState).toBe('success');
  });

  it('gives the failing pod node message (with exit code) as the reason for failed runs', () => {
    const status = workflowToRunStatus(
      workflow({
        phase: 'Failed',
        message: "child 'wf.main' failed",
        finishedAt: FINISHED,
        ...mainNode('Failed', {
          message: 'Error (exit code 1)',
          outputs: { exitCode: '1' },
          finishedAt: FINISHED,
        }),
      }),
      NOW,
    );
    expect(status).toMatchObject({
      pipelineState: 'failed',
      reason: 'main: Error (exit code 1)',
      endDate: Date.parse(FINISHED),
    });
  });

  it('adds the exit code when the node message lacks it', () => {
    const status = workflowToRunStatus(
      workflow({
        phase: 'Failed',
        ...mainNode('Failed', { message: 'OOMKilled', outputs: { exitCode: '137' } }),
      }),
      NOW,
    );
    expect(status.reason).toBe('main: OOMKilled (exit code 137)');
  });

  it('falls back to status.message, then to a generic reason', () => {
    expect(
      workflowToRunStatus(workflow({ phase: 'Error', message: 'Step exceeded its deadline' }), NOW).reason,
    ).toBe('Step exceeded its deadline');
    expect(workflowToRunStatus(workflow({ phase: 'Failed' }), NOW).reason).toBe(
      'Workflow failed without a message',
    );
  });

  it.each(['Stop', 'Terminate'])('maps a %s shutdown to stopped, never failed', (shutdown) => {
    const running = workflowToRunStatus(workflow({ phase: 'Running' }, { shutdown }), NOW);
    expect(running.pipelineState).toBe('stopped');
    const ended = workflowToRunStatus(
      workflow(
        { phase: 'Failed', message: `Stopped with strategy '${shutdown}'`, finishedAt: FINISHED },
        { shutdown },
      ),
      NOW,
    );
    expect(ended).toMatchObject({ pipelineState: 'stopped', endDate: Date.parse(FINISHED) });
    // Argo's message alone (shutdown field since cleared) still says stopped.
    expect(
      workflowToRunStatus(workflow({ phase: 'Failed', message: `Stopped with strategy '${shutdown}'` }), NOW)
        .pipelineState,
    ).toBe('stopped');
  });

  it('keeps success when the run finished before the stop took effect', () => {
    expect(
      workflowToRunStatus(workflow({ phase: 'Succeeded' }, { shutdown: 'Stop' }), NOW).pipelineState,
    ).toBe('success');
  });

  it('reports partialSuccess from the pipelineState output parameter of a succeeded run', () => {
    const outputs = { parameters: [{ name: 'pipelineState', value: 'partialSuccess\n' }] };
    expect(
      workflowToRunStatus(workflow({ phase: 'Succeeded', ...mainNode('Succeeded', { outputs }) }), NOW)
        .pipelineState,
    ).toBe('partialSuccess');
    const other = { parameters: [{ name: 'pipelineState', value: 'success' }] };
    expect(
      workflowToRunStatus(workflow({ phase: 'Succeeded', ...mainNode('Succeeded', { outputs: other }) }), NOW)
        .pipelineState,
    ).toBe('success');
  });

  it.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError'])(
    'fails a run whose pod waits on %s, from the pod or from the Argo node',
    (reason) => {
      const pending = workflow({ phase: 'Running', ...mainNode('Pending') });
      const pods = [
        pod({
          phase: 'Pending',
          containerStatuses: [
            { name: 'main', state: { waiting: { reason, message: 'pull access denied' } } },
          ],
        }),
      ];
      const fromPod = workflowToRunStatus(pending, NOW, { pods });
      expect(fromPod).toMatchObject({ pipelineState: 'failed', endDate: NOW, failedBeforeStart: true });
      expect(fromPod.reason).toContain(reason);
      expect(fromPod.reason).toContain('pull access denied');
      const fromNode = workflowToRunStatus(
        workflow({ phase: 'Running', ...mainNode('Pending', { message: `${reason}: Back-off` }) }),
        NOW,
      );
      expect(fromNode.pipelineState).toBe('failed');
      expect(fromNode.reason).toContain(reason);
    },
  );

  it('waits out a transient waiting reason such as ContainerCreating', () => {
    const pods = [
      pod({
        phase: 'Pending',
        containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }],
      }),
    ];
    expect(workflowToRunStatus(workflow({ phase: 'Running' }), NOW, { pods }).pipelineState).toBe('running');
  });

  it('fails a run that stays Unschedulable beyond the limit, not before', () => {
    const unschedulable = (since: number) =>
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/2 nodes are available',
            lastTransitionTime: new Date(since).toISOString(),
          },
        ],
      });
    const wf = workflow({ phase: 'Pending' });
    expect(workflowToRunStatus(wf, NOW, { pods: [unschedulable(NOW - 60_000)] }).pipelineState).toBe(
      'queued',
    );
    const late = workflowToRunStatus(wf, NOW, {
      pods: [unschedulable(NOW - DEFAULT_UNSCHEDULABLE_LIMIT_MS - 60_000)],
    });
    expect(late.pipelineState).toBe('failed');
    expect(late.reason).toMatch(
      /could not be scheduled for 11 min \(Unschedulable: 0\/2 nodes are available\)/,
    );
    expect(detectStartFailure(wf, [unschedulable(NOW - 120_000)], NOW, 60_000)).toMatch(/Unschedulable/);
  });

  it('clips very long reasons', () => {
    const status = workflowToRunStatus(workflow({ phase: 'Failed', message: 'x'.repeat(5000) }), NOW);
    expect(status.reason?.length).toBeLessThanOrEqual(1001);
  });
});
