// Which log archive the functions build from the environment the stack sets (no network: the client is only
// constructed), and that an injected one reaches core's operations.
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { S3LogArchive } from '@hybrid-runner/aws';
import { RESOURCES, buildRunWorkflow, defaultRunnerSettings } from '@hybrid-runner/core';
import { InMemoryCursorStore, InMemoryIdempotencyStore } from '@hybrid-runner/local';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import { logArchiveFromEnvironment } from '../../../functions/lib/log-archive.ts';

const LOG_ARCHIVE_BUCKET_ENV = FUNCTION_ENV.logArchiveBucket;
import { configureRunner, runnerContext } from '../../../functions/lib/runner-context.ts';
import { FakeCluster } from '../../support/fake-cluster.ts';
import { MemoryLogArchive } from '../../support/memory-log-archive.ts';

describe('logArchiveFromEnvironment', () => {
  it('is absent when LOG_ARCHIVE_BUCKET is unset or blank (logs go with their pods, as before)', () => {
    expect(logArchiveFromEnvironment({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
    expect(
      logArchiveFromEnvironment({ [LOG_ARCHIVE_BUCKET_ENV]: '  ', AWS_REGION: 'eu-west-1' }),
    ).toBeUndefined();
  });

  it('reads the bucket LOG_ARCHIVE_BUCKET names through an S3 client the caller may wrap (tracing)', () => {
    const wrapped: S3Client[] = [];
    const archive = logArchiveFromEnvironment(
      { [LOG_ARCHIVE_BUCKET_ENV]: 'runner-logs', AWS_REGION: 'eu-west-1' },
      (client) => {
        wrapped.push(client);
        return client;
      },
    );
    expect(LOG_ARCHIVE_BUCKET_ENV).toBe('LOG_ARCHIVE_BUCKET');
    expect(archive).toBeInstanceOf(S3LogArchive);
    expect(wrapped).toHaveLength(1);
    expect(wrapped[0]).toBeInstanceOf(S3Client);
  });
});

describe('configureRunner with a log archive (FakeCluster, MemoryLogArchive)', () => {
  afterEach(() => configureRunner(undefined));

  it('hands the archive to core’s operations: a run whose pod is gone is served from it', async () => {
    const settings = defaultRunnerSettings({ agentId: 'unit-agent' });
    const cluster = new FakeCluster();
    const p = { name: 'gone', fullyQualifiedName: 'prod.mysql.gone', pipelineType: 'metadata' as const };
    const workflow = buildRunWorkflow({ pipeline: p, settings, runId: 'run-1' });
    const key = `${settings.namespace}/${workflow.metadata.name}/pod-1/main.log`;
    cluster.seed(RESOURCES.workflow, settings.namespace, {
      ...workflow,
      metadata: { ...workflow.metadata, creationTimestamp: '2026-11-28T11:00:00Z' },
      status: {
        phase: 'Succeeded',
        nodes: {
          n: {
            type: 'Pod',
            templateName: 'main',
            startedAt: '2026-11-28T11:00:00Z',
            outputs: { artifacts: [{ name: 'main-logs', s3: { key } }] },
          },
        },
      },
    });
    const archive = new MemoryLogArchive();
    archive.put(key, 'archived line\n');
    const base = {
      settings,
      cluster,
      idempotency: new InMemoryIdempotencyStore(),
      cursor: new InMemoryCursorStore(),
      secrets: { exists: async () => true },
      botToken: async () => 'token-of-the-bot',
    };
    const ask = async () => {
      const { dispatcher } = await runnerContext();
      const frame = {
        v: 1,
        id: `r-${Math.random()}`,
        type: 'getIngestionLogs',
        payload: { pipeline: p, runId: 'run-1' },
      };
      return (await dispatcher.handleFrame(JSON.stringify(frame))).response;
    };
    configureRunner({ ...base, logArchive: archive });
    expect(await ask()).toMatchObject({ ok: true, payload: { ingestion_task: 'archived line\n', total: 1 } });
    configureRunner(base);
    expect(await ask()).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
