// Spot interruptions: the retryStrategy every pod template carries, and how a retried run is reported. The
// status shapes are Argo's: a Retry node whose children are the attempts (Pod nodes named `<node>(<n>)`), a
// deleted pod's attempt in Error with "pod deleted", an evicted one Failed with the kubelet's message.
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  INTERRUPTION_MESSAGES,
  interruptionRetryExpression,
  interruptionRetryStrategy,
  isInterruption,
  workflowToRunStatus,
} from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const NAME = 'svc-db-metadata-1a2b3c4d';

function attempt(index: number, phase: string, extra: Record<string, unknown> = {}) {
  return {
    id: `${NAME}-${1000 + index}`,
    name: `${NAME}(${index})`,
    displayName: `${NAME}(${index})`,
    type: 'Pod',
    templateName: 'main',
    phase,
    startedAt: `2026-11-28T11:0${index}:00Z`,
    ...(phase === 'Running' ? {} : { finishedAt: `2026-11-28T11:0${index}:30Z` }),
    ...extra,
  };
}

function retriedRun(phase: string, attempts: ReturnType<typeof attempt>[]): KubeObject {
  const nodes: Record<string, unknown> = {
    [NAME]: {
      id: NAME,
      name: NAME,
      displayName: NAME,
      type: 'Retry',
      templateName: 'main',
      phase,
      children: attempts.map((a) => a.id),
    },
  };
  for (const a of attempts) nodes[a.id] = a;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name: NAME,
      creationTimestamp: '2026-11-28T11:00:00Z',
      annotations: { [ANNOTATIONS.runId]: 'run-1' },
    },
    status: {
      phase,
      startedAt: '2026-11-28T11:00:00Z',
      ...(phase === 'Running' ? {} : { finishedAt: '2026-11-28T11:10:00Z' }),
      nodes,
    },
  };
}

describe('interruption retryStrategy', () => {
  it('retries a few times with backoff, and lets only the expression decide', () => {
    expect(interruptionRetryStrategy()).toEqual({
      limit: 2,
      retryPolicy: 'Always',
      expression: interruptionRetryExpression(),
      backoff: { duration: '30s', factor: 2 },
    });
  });

  it('matches lost pods and SIGTERM, never an ingestion’s own exit codes', () => {
    expect(interruptionRetryExpression()).toBe(
      'lastRetry.exitCode == "143" || lastRetry.message matches ' +
        '"^(pod deleted|Pod was terminated in response to imminent node shutdown|The node was low on resource)"',
    );
    // The messages go into a regex unescaped: they must hold no regex syntax.
    for (const message of INTERRUPTION_MESSAGES) expect(message).toMatch(/^[A-Za-z ]+$/);
    expect(isInterruption('pod deleted', '-1')).toBe(true);
    expect(isInterruption('Pod was terminated in response to imminent node shutdown.')).toBe(true);
    expect(isInterruption('The node was low on resource: memory. Threshold quantity: 100Mi')).toBe(true);
    expect(isInterruption('Error (exit code 143)', '143')).toBe(true);
    expect(isInterruption('Error (exit code 1)', '1')).toBe(false);
    expect(isInterruption('OOMKilled (exit code 137)', '137')).toBe(false);
    expect(isInterruption('Pod was active on the node longer than the specified deadline')).toBe(false);
  });
});

describe('status of a retried run', () => {
  it('a run that succeeds after an interruption is success, with the retry as reason', () => {
    const status = workflowToRunStatus(
      retriedRun('Succeeded', [
        attempt(0, 'Error', { message: 'pod deleted' }),
        attempt(1, 'Succeeded', { outputs: { exitCode: '0' } }),
      ]),
      NOW,
    );
    expect(status.pipelineState).toBe('success');
    expect(status.reason).toBe(`retried after 1 interrupted attempt (${NAME}(0): pod deleted)`);
  });

  it('while the retry runs, the run is running (never failed), and says it was retried', () => {
    const status = workflowToRunStatus(
      retriedRun('Running', [
        attempt(0, 'Failed', { message: 'The node was low on resource: memory.' }),
        attempt(1, 'Running'),
      ]),
      NOW,
    );
    expect(status.pipelineState).toBe('running');
    expect(status.reason).toContain('retried after 1 interrupted attempt');
  });

  it('a run that fails after a retry reports its last attempt’s cause, then the retry', () => {
    const status = workflowToRunStatus(
      retriedRun('Failed', [
        attempt(0, 'Error', { message: 'pod deleted' }),
        attempt(1, 'Failed', { message: 'Error (exit code 1)', outputs: { exitCode: '1' } }),
      ]),
      NOW,
    );
    expect(status.pipelineState).toBe('failed');
    expect(status.reason).toBe(
      `${NAME}(1): Error (exit code 1); retried after 1 interrupted attempt (${NAME}(0): pod deleted)`,
    );
  });

  it('a single attempt (nothing retried) carries no retry reason', () => {
    const status = workflowToRunStatus(
      retriedRun('Failed', [attempt(0, 'Failed', { message: 'Error (exit code 1)' })]),
      NOW,
    );
    expect(status.reason).toBe(`${NAME}(0): Error (exit code 1)`);
  });
});
