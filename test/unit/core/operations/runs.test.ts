import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  ClusterUnavailableError,
  ConflictError,
  NotFoundError,
  RESOURCES,
  SecretReferenceError,
  RUN_RETRY_WINDOW_MS,
  pipelineConfigSecretName,
  requestRunId,
  runWorkflowName,
  workflowToRunStatus,
} from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';
import {
  BOT_TOKEN,
  NOW,
  PREFIX,
  WORKFLOW_CONFIG,
  harness,
  pipeline,
  seedRun,
  parsedConfigOf,
} from './setup.ts';

const NS = 'collate-ingestion';
const p = pipeline();

describe('runPipeline', () => {
  it('starts a Workflow with a minted run id in one round trip once deployed', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    h.cluster.resetCalls();
    const result = await h.operations.runPipeline({ pipeline: p });
    const runId = h.runIds[0] as string;
    expect(result).toEqual({ code: 200, runId, workflowName: runWorkflowName(p.fullyQualifiedName, runId) });
    const workflow = h.cluster.peek(RESOURCES.workflow, NS, result.workflowName);
    expect(workflow?.metadata.annotations?.[ANNOTATIONS.runId]).toBe(runId);
    // The check and the create go together; the deployed config Secret is checked by its metadata only
    // (its data, the bot token, is not fetched).
    expect(h.cluster.criticalPath()).toBe(1);
    expect(JSON.stringify(workflow)).not.toContain(BOT_TOKEN);
    expect(h.cluster.calls.map((c) => `${c.verb} ${c.plural}`).sort()).toEqual([
      'create workflows',
      'getMetadata secrets',
    ]);
  });

  it('deletes the Workflow it created alongside a check that failed, and leaves an earlier run alone', async () => {
    const h = harness();
    // Not deployed: the Workflow created alongside the check is deleted again.
    await expect(h.operations.runPipeline({ pipeline: p, runId: 'r-1' })).rejects.toThrow(NotFoundError);
    expect(h.cluster.callsOf('delete', 'workflows')).toHaveLength(1);
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
    // A reference that does not exist: same.
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    const referencing = { ...p, sourceToken: `secret:${PREFIX}absent` };
    await expect(h.operations.runPipeline({ pipeline: referencing, runId: 'r-2' })).rejects.toThrow(
      /does not exist/,
    );
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
    // A create whose answer was lost may have applied: deleted too.
    h.cluster.failOnce('create', 'workflows', new ClusterUnavailableError('reply lost'), undefined, {
      afterApply: true,
    });
    h.cluster.failOnce('getMetadata', 'secrets', new ClusterUnavailableError('throttled'));
    await expect(h.operations.runPipeline({ pipeline: p, runId: 'r-3' })).rejects.toThrow('throttled');
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
    // A retry of a run that already started is not undone by a failing check.
    const started = await h.operations.runPipeline({ pipeline: p, runId: 'r-4' });
    h.cluster.failOnce('getMetadata', 'secrets', new ClusterUnavailableError('throttled'));
    await expect(h.operations.runPipeline({ pipeline: p, runId: 'r-4' })).rejects.toThrow('throttled');
    expect(h.cluster.peek(RESOURCES.workflow, NS, started.workflowName)).toBeDefined();
  });

  it('reports a failed rollback with both errors', async () => {
    const h = harness();
    h.cluster.failOnce('delete', 'workflows', new ClusterUnavailableError('delete refused'));
    await expect(h.operations.runPipeline({ pipeline: p, runId: 'r-1' })).rejects.toThrow(
      /not deployed on this runner.*Rolling back run .* also failed \(delete refused\)/,
    );
  });

  it('derives the run id from the request id, so a retry after an unanswered create finds the same run', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    // The create reaches the server but its answer is lost: the caller sees cluster_unavailable.
    h.cluster.failOnce('create', 'workflows', new ClusterUnavailableError('reply lost'), undefined, {
      afterApply: true,
    });
    await expect(h.operations.runPipeline({ pipeline: p }, { requestId: 'req-1' })).rejects.toThrow(
      ClusterUnavailableError,
    );
    const retried = await h.operations.runPipeline({ pipeline: p }, { requestId: 'req-1' });
    const workflows = (await h.cluster.list(RESOURCES.workflow, NS)).items;
    expect(workflows).toHaveLength(1);
    expect(workflows[0]?.metadata.name).toBe(retried.workflowName);
    expect(retried.runId).toBe(requestRunId(p.fullyQualifiedName, 'req-1'));
    expect(retried.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(h.runIds).toEqual([]);

    const other = await h.operations.runPipeline({ pipeline: p }, { requestId: 'req-2' });
    expect(other.runId).not.toBe(retried.runId);
    expect((await h.cluster.list(RESOURCES.workflow, NS)).items).toHaveLength(2);
    expect(requestRunId('other.pipeline', 'req-1')).not.toBe(retried.runId);
  });

  it('starts a fresh run when a request id comes back after the retry window', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    const first = await h.operations.runPipeline({ pipeline: p }, { requestId: 'req-1' });
    // Age the stored Workflow past the window (peek returns a copy).
    const workflow = [...h.cluster.objects.values()].find(
      (object) => object.metadata.name === first.workflowName,
    ) as KubeObject;
    workflow.metadata.creationTimestamp = new Date(NOW.getTime() - RUN_RETRY_WINDOW_MS - 1000).toISOString();
    const again = await h.operations.runPipeline({ pipeline: p }, { requestId: 'req-1' });
    expect(again.runId).toBe(h.runIds[0]);
    expect(again.workflowName).not.toBe(first.workflowName);
    expect((await h.cluster.list(RESOURCES.workflow, NS)).items).toHaveLength(2);
  });

  it('uses the run id it is given and writes a given workflowConfig to the Secret first', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    h.cluster.resetCalls();
    const config = { ...WORKFLOW_CONFIG, sink: { type: 'metadata-rest', config: { bulkSize: 3 } } };
    const result = await h.operations.runPipeline({
      pipeline: p,
      runId: 'collate-run-7',
      workflowConfig: config,
    });
    expect(result.runId).toBe('collate-run-7');
    expect(h.cluster.calls.map((c) => `${c.verb} ${c.plural}`)).toEqual([
      'replace secrets',
      'create workflows',
    ]);
    expect(h.cluster.criticalPath()).toBe(2);
    const secret = h.cluster.peek(RESOURCES.secret, NS, pipelineConfigSecretName(p.fullyQualifiedName));
    expect(parsedConfigOf(secret).sink).toEqual(config.sink);
  });

  it('creates the Secret of a never-deployed pipeline when a config comes with the run', async () => {
    const h = harness();
    const result = await h.operations.runPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    expect(
      h.cluster.peek(RESOURCES.secret, NS, pipelineConfigSecretName(p.fullyQualifiedName)),
    ).toBeDefined();
    expect(h.cluster.peek(RESOURCES.workflow, NS, result.workflowName)).toBeDefined();
  });

  it('refuses to run a pipeline that is not deployed and brings no config', async () => {
    const h = harness();
    await expect(h.operations.runPipeline({ pipeline: p })).rejects.toThrow(
      /not deployed on this runner.*deploy it first/,
    );
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
  });

  it('does not start a run twice for the same run id', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    const first = await h.operations.runPipeline({ pipeline: p, runId: 'r-1' });
    const again = await h.operations.runPipeline({ pipeline: p, runId: 'r-1' });
    expect(again).toEqual(first);
    expect(h.cluster.all(RESOURCES.workflow)).toHaveLength(1);
  });

  it('reports a name clash with another run as a conflict', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: p, workflowConfig: WORKFLOW_CONFIG });
    const { workflowName } = await h.operations.runPipeline({ pipeline: p, runId: 'r-1' });
    const stored = h.cluster.peek(RESOURCES.workflow, NS, workflowName) as KubeObject;
    stored.metadata.annotations = { ...stored.metadata.annotations, [ANNOTATIONS.runId]: 'someone-else' };
    h.cluster.objects.set(`workflows/${NS}/${workflowName}`, stored);
    await expect(h.operations.runPipeline({ pipeline: p, runId: 'r-1' })).rejects.toThrow(ConflictError);
  });

  it('checks secret: references in the pipeline and the config', async () => {
    const h = harness();
    const config = {
      ...WORKFLOW_CONFIG,
      source: { ...WORKFLOW_CONFIG.source, token: 'secret:/collate/../etc' },
    };
    await expect(h.operations.runPipeline({ pipeline: p, workflowConfig: config })).rejects.toThrow(
      SecretReferenceError,
    );
    expect(h.cluster.calls).toEqual([]);
    const missing = {
      ...WORKFLOW_CONFIG,
      source: { ...WORKFLOW_CONFIG.source, token: `secret:${PREFIX}absent` },
    };
    await expect(h.operations.runPipeline({ pipeline: p, workflowConfig: missing })).rejects.toThrow(
      /does not exist/,
    );
    expect(h.secretLookups).toEqual([`${PREFIX}absent`]);
  });
});

describe('killIngestion', () => {
  it('terminates every active run in two round trips, and the runs then read stopped', async () => {
    const h = harness();
    const running = seedRun(h, p, 'run-a', { phase: 'Running' });
    const pending = seedRun(h, p, 'run-b', { phase: 'Pending' });
    const done = seedRun(h, p, 'run-c', { phase: 'Succeeded' });
    seedRun(h, pipeline({ fullyQualifiedName: 'other.pipeline' }), 'run-d', { phase: 'Running' });
    const result = await h.operations.killIngestion({ pipeline: p });
    expect(result.reason).toMatch(/^Stopped 2 run\(s\): /);
    expect(h.cluster.criticalPath()).toBe(2);
    for (const run of [running, pending]) {
      const now = h.cluster.peek(RESOURCES.workflow, NS, run.metadata.name as string) as KubeObject;
      expect(now.spec).toMatchObject({ shutdown: 'Terminate' });
      expect(workflowToRunStatus(now, NOW).pipelineState).toBe('stopped');
      // Argo then fails the run with its stop message; the state must still read stopped.
      const ended = { ...now, status: { phase: 'Failed', message: "Stopped with strategy 'Terminate'" } };
      expect(workflowToRunStatus(ended, NOW).pipelineState).toBe('stopped');
    }
    expect(h.cluster.peek(RESOURCES.workflow, NS, done.metadata.name as string)?.spec).not.toHaveProperty(
      'shutdown',
    );
    expect(
      h.cluster.all(RESOURCES.workflow).filter((w) => (w.spec as { shutdown?: string }).shutdown),
    ).toHaveLength(2);
  });

  it('stops one run by id, says when it had finished, and refuses an unknown id', async () => {
    const h = harness();
    const a = seedRun(h, p, 'run-a', { phase: 'Running' });
    const b = seedRun(h, p, 'run-b', { phase: 'Running' });
    seedRun(h, p, 'run-c', { phase: 'Failed' });
    await h.operations.killIngestion({ pipeline: p, runId: 'run-a' });
    expect(h.cluster.peek(RESOURCES.workflow, NS, a.metadata.name as string)?.spec).toMatchObject({
      shutdown: 'Terminate',
    });
    expect(h.cluster.peek(RESOURCES.workflow, NS, b.metadata.name as string)?.spec).not.toHaveProperty(
      'shutdown',
    );
    expect((await h.operations.killIngestion({ pipeline: p, runId: 'run-c' })).reason).toMatch(
      /already finished \(failed\)/,
    );
    await expect(h.operations.killIngestion({ pipeline: p, runId: 'nope' })).rejects.toThrow(NotFoundError);
  });

  it('succeeds with a reason when nothing runs, and reports cluster faults', async () => {
    const h = harness();
    expect(await h.operations.killIngestion({ pipeline: p })).toEqual({
      code: 200,
      reason: 'No active runs to stop',
    });
    seedRun(h, p, 'run-a', { phase: 'Running' });
    h.cluster.failOnce('mergePatch', 'workflows', new ClusterUnavailableError('API server 503'));
    await expect(h.operations.killIngestion({ pipeline: p })).rejects.toThrow('API server 503');
  });
});

describe('getPipelineStatus', () => {
  it('lists 5,000 runs page by page and returns the newest first, bounded by limit and message size', async () => {
    const h = harness();
    const template = seedRun(h, p, 'template', {});
    h.cluster.objects.clear();
    for (let i = 0; i < 5000; i++) {
      const runId = `run-${String(i).padStart(5, '0')}`;
      h.cluster.seed(RESOURCES.workflow, NS, {
        ...template,
        metadata: {
          ...template.metadata,
          name: `${template.metadata.name}-${i}`,
          uid: `uid-${i}`,
          annotations: { ...template.metadata.annotations, [ANNOTATIONS.runId]: runId },
          creationTimestamp: new Date(NOW.getTime() - (5000 - i) * 60_000).toISOString(),
        },
        status: { phase: i % 2 ? 'Succeeded' : 'Failed', message: 'x'.repeat(40) },
      });
    }
    const result = await h.operations.getPipelineStatus({ pipeline: p });
    expect(result.runs).toHaveLength(100);
    expect(result.runs[0]?.runId).toBe('run-04999');
    expect(result.runs[99]?.runId).toBe('run-04900');
    expect(h.cluster.callsOf('list', 'workflows')).toHaveLength(10);
    const timestamps = result.runs.map((run) => run.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((x, y) => y - x));
    expect(result.runs[0]).toMatchObject({ pipelineState: 'success', timestamp: NOW.getTime() - 60_000 });

    const many = await h.operations.getPipelineStatus({ pipeline: p, limit: 1000 });
    expect(many.runs.length).toBeGreaterThan(100);
    expect(Buffer.byteLength(JSON.stringify(many))).toBeLessThan(128 * 1024 - 1024);
    expect(many.runs[0]?.runId).toBe('run-04999');
  });

  it('returns no runs for a pipeline that never ran', async () => {
    expect(await harness().operations.getPipelineStatus({ pipeline: p, limit: 5 })).toEqual({ runs: [] });
  });
});
