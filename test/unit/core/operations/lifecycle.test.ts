import { describe, expect, it } from 'vitest';
import {
  ClusterUnavailableError,
  RESOURCES,
  pipelineConfigSecretName,
  pipelineResourceName,
} from '@hybrid-runner/core';
import { WORKFLOW_CONFIG, harness, pipeline, seedPod, seedRun } from './setup.ts';

const NS = 'collate-ingestion';
const scheduled = pipeline({ airflowConfig: { scheduleInterval: '@daily' } });
const cronName = pipelineResourceName(scheduled.fullyQualifiedName);

describe('toggleIngestion', () => {
  it('suspends and resumes the schedule in one merge patch', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    h.cluster.resetCalls();
    expect(await h.operations.toggleIngestion({ pipeline: { ...scheduled, enabled: false } })).toEqual({
      code: 200,
      reason: 'Schedule suspended',
    });
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)?.spec).toMatchObject({ suspend: true });
    expect(h.cluster.calls.map((c) => c.verb)).toEqual(['mergePatch']);
    expect((await h.operations.toggleIngestion({ pipeline: scheduled })).reason).toBe('Schedule resumed');
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)?.spec).toMatchObject({ suspend: false });
  });

  it('treats a pipeline without a CronWorkflow (on demand) as success', async () => {
    const h = harness();
    const result = await h.operations.toggleIngestion({ pipeline: pipeline({ enabled: false }) });
    expect(result.code).toBe(200);
    expect(result.reason).toMatch(/no schedule on this runner \(on demand\): nothing to toggle/);
  });

  it('reports other cluster faults', async () => {
    const h = harness();
    h.cluster.reachable = false;
    await expect(h.operations.toggleIngestion({ pipeline: scheduled })).rejects.toThrow(
      ClusterUnavailableError,
    );
  });
});

describe('deletePipeline', () => {
  it('deletes schedule, config and every run (pods go with their runs) in two round trips, idempotently', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    const run = seedRun(h, scheduled, 'run-1', { phase: 'Running' });
    seedRun(h, scheduled, 'run-2', { phase: 'Succeeded' });
    seedPod(h, run);
    const other = seedRun(h, pipeline({ fullyQualifiedName: 'other.pipe' }), 'run-3', { phase: 'Running' });
    h.cluster.resetCalls();
    expect(await h.operations.deletePipeline({ pipeline: scheduled })).toEqual({
      code: 200,
      reason: 'Deleted schedule, config, 2 run(s)',
    });
    expect(h.cluster.criticalPath()).toBe(2);
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)).toBeUndefined();
    expect(
      h.cluster.peek(RESOURCES.secret, NS, pipelineConfigSecretName(scheduled.fullyQualifiedName)),
    ).toBeUndefined();
    expect(h.cluster.all(RESOURCES.workflow).map((w) => w.metadata.name)).toEqual([other.metadata.name]);
    expect(h.cluster.all(RESOURCES.pod)).toEqual([]);
    expect(await h.operations.deletePipeline({ pipeline: scheduled })).toEqual({
      code: 200,
      reason: `Nothing to delete: pipeline ${scheduled.fullyQualifiedName} has nothing here`,
    });
  });

  it('reports a failed delete so it can be retried', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    h.cluster.failOnce('delete', 'secrets', new ClusterUnavailableError('etcd timeout'));
    await expect(h.operations.deletePipeline({ pipeline: scheduled })).rejects.toThrow('etcd timeout');
    expect((await h.operations.deletePipeline({ pipeline: scheduled })).reason).toBe('Deleted config');
  });
});
