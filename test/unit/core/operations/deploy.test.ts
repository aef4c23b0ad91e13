import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ClusterUnavailableError,
  RESOURCES,
  SecretReferenceError,
  pipelineConfigSecretName,
  pipelineResourceName,
} from '@hybrid-runner/core';
import { BOT_TOKEN, PREFIX, WORKFLOW_CONFIG, harness, pipeline, configOf, parsedConfigOf } from './setup.ts';

const NS = 'collate-ingestion';
const scheduled = pipeline({
  airflowConfig: { scheduleInterval: '0 2 * * *', pipelineTimezone: 'Europe/Paris' },
});
const secretName = pipelineConfigSecretName(scheduled.fullyQualifiedName);
const cronName = pipelineResourceName(scheduled.fullyQualifiedName);

describe('deployPipeline', () => {
  it('creates the config Secret and the CronWorkflow in two sequential round trips', async () => {
    const h = harness();
    const result = await h.operations.deployPipeline({
      pipeline: scheduled,
      workflowConfig: WORKFLOW_CONFIG,
    });
    expect(result).toEqual({ code: 200, platform: 'Argo', reason: 'Scheduled 0 2 * * * (Europe/Paris)' });
    const secret = h.cluster.peek(RESOURCES.secret, NS, secretName);
    expect(configOf(secret)).toContain(BOT_TOKEN);
    expect(parsedConfigOf(secret)).toMatchObject({ ingestionPipelineFQN: 'prod.mysql.mysql_metadata' });
    const cron = h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName);
    expect(cron?.spec).toMatchObject({ schedules: ['0 2 * * *'], timezone: 'Europe/Paris', suspend: false });
    expect(h.cluster.criticalPath()).toBe(2);
    expect(JSON.stringify(cron)).not.toContain(BOT_TOKEN);
    expect(JSON.stringify(result)).not.toContain(BOT_TOKEN);
  });

  it('converges: deploying the same pipeline again writes nothing and leaves identical objects', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    const before = [
      h.cluster.peek(RESOURCES.secret, NS, secretName),
      h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName),
    ];
    h.cluster.resetCalls();
    await h.operations.deployPipeline({
      pipeline: scheduled,
      workflowConfig: JSON.stringify(WORKFLOW_CONFIG),
    });
    expect(h.cluster.calls.map((c) => c.verb)).toEqual(['get', 'get']);
    expect([
      h.cluster.peek(RESOURCES.secret, NS, secretName),
      h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName),
    ]).toEqual(before);
  });

  it('replaces what changed, suspends a disabled pipeline, and removes the schedule when it is removed', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    const disabled = { ...scheduled, enabled: false };
    const result = await h.operations.deployPipeline({ pipeline: disabled, workflowConfig: WORKFLOW_CONFIG });
    expect(result.reason).toMatch(/suspended because the pipeline is disabled/);
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)?.spec).toMatchObject({ suspend: true });

    h.cluster.resetCalls();
    const onDemand = pipeline();
    const changed = { ...WORKFLOW_CONFIG, sink: { type: 'metadata-rest', config: { bulkSize: 5 } } };
    expect(await h.operations.deployPipeline({ pipeline: onDemand, workflowConfig: changed })).toEqual({
      code: 200,
      platform: 'Argo',
      reason: 'Deployed on demand (no schedule)',
    });
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)).toBeUndefined();
    expect(parsedConfigOf(h.cluster.peek(RESOURCES.secret, NS, secretName)).sink).toEqual(changed.sink);
    expect(h.cluster.criticalPath()).toBe(2);
  });

  it('rolls back the new Secret when the CronWorkflow cannot be created', async () => {
    const h = harness();
    h.cluster.failOnce('create', 'cronworkflows', new ClusterUnavailableError('API server timed out'));
    await expect(
      h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG }),
    ).rejects.toThrow('API server timed out');
    expect(h.cluster.all(RESOURCES.secret)).toEqual([]);
    expect(h.cluster.all(RESOURCES.cronWorkflow)).toEqual([]);
  });

  it('restores the previous Secret when replacing the CronWorkflow fails', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    const previousConfig = configOf(h.cluster.peek(RESOURCES.secret, NS, secretName));
    const previousCron = h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName);
    h.cluster.failOnce('replace', 'cronworkflows', new ClusterUnavailableError('throttled'));
    const hourly = { ...scheduled, airflowConfig: { scheduleInterval: '@hourly' } };
    const changed = { ...WORKFLOW_CONFIG, sink: { type: 'metadata-rest', config: { bulkSize: 9 } } };
    await expect(h.operations.deployPipeline({ pipeline: hourly, workflowConfig: changed })).rejects.toThrow(
      'throttled',
    );
    expect(configOf(h.cluster.peek(RESOURCES.secret, NS, secretName))).toBe(previousConfig);
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)?.spec).toEqual(previousCron?.spec);
  });

  it('re-creates a CronWorkflow it deleted when the Secret write fails', async () => {
    const h = harness();
    await h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG });
    const previousCron = h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName);
    h.cluster.failOnce('replace', 'secrets', new ClusterUnavailableError('503 from the API server'));
    const changed = { ...WORKFLOW_CONFIG, sink: { type: 'metadata-rest', config: { bulkSize: 7 } } };
    await expect(
      h.operations.deployPipeline({ pipeline: pipeline(), workflowConfig: changed }),
    ).rejects.toThrow('503');
    expect(h.cluster.peek(RESOURCES.cronWorkflow, NS, cronName)?.spec).toEqual(previousCron?.spec);
    expect(parsedConfigOf(h.cluster.peek(RESOURCES.secret, NS, secretName)).sink).toEqual(
      WORKFLOW_CONFIG.sink,
    );
  });

  it('says so when the rollback fails too', async () => {
    const h = harness();
    h.cluster.failOnce('create', 'cronworkflows', new ClusterUnavailableError('create timed out'));
    h.cluster.failOnce('delete', 'secrets', new ClusterUnavailableError('delete timed out'));
    const error = await h.operations
      .deployPipeline({ pipeline: scheduled, workflowConfig: WORKFLOW_CONFIG })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'cluster_unavailable' });
    expect((error as Error).message).toMatch(
      /create timed out.*Rolling back .* also failed \(delete timed out\).*deploy it again/,
    );
  });

  it('refuses an invalid schedule before touching the cluster', async () => {
    const h = harness();
    const bad = pipeline({ airflowConfig: { scheduleInterval: '61 * * * *' } });
    await expect(
      h.operations.deployPipeline({ pipeline: bad, workflowConfig: WORKFLOW_CONFIG }),
    ).rejects.toThrow(BadRequestError);
    expect(h.cluster.calls).toEqual([]);
  });

  it('refuses secret: references outside the prefix or missing, and writes nothing', async () => {
    const h = harness();
    const outside = {
      ...WORKFLOW_CONFIG,
      source: { ...WORKFLOW_CONFIG.source, serviceConnection: { password: 'secret:/other/pw' } },
    };
    const error = await h.operations
      .deployPipeline({ pipeline: scheduled, workflowConfig: outside })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReferenceError);
    expect((error as SecretReferenceError).field).toBe(
      'payload.workflowConfig.source.serviceConnection.password',
    );
    const missing = {
      ...WORKFLOW_CONFIG,
      source: { ...WORKFLOW_CONFIG.source, dbt: { key: `secret:${PREFIX}dbt-key` } },
    };
    await expect(
      h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: missing }),
    ).rejects.toThrow(/does not exist/);
    expect(h.cluster.calls.filter((c) => c.verb !== 'get')).toEqual([]);
    h.secretNames.add(`${PREFIX}dbt-key`);
    await expect(
      h.operations.deployPipeline({ pipeline: scheduled, workflowConfig: missing }),
    ).resolves.toMatchObject({ code: 200 });
  });
});
