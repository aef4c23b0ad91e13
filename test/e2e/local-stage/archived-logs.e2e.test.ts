// A run's logs after its pod is gone, end to end through the local stage: the real handlers composed from their
// environment (LOG_ARCHIVE_BUCKET, AWS_ENDPOINT_URL_S3), the Kubernetes emulator whose simulated Argo controller
// (not Argo) archives each pod's main log into s3rver (an S3 implementation from npm, not S3), and the protocol
// client as Collate. A cursor issued while the pod existed keeps reading from the archive once the pod is
// deleted; with Argo's podGC the whole log comes from the archive. It cannot prove Argo's own wait container
// uploads, S3's IAM or its signature checks (s3rver checks neither).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, pipelineLabelValue } from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/k8s-emulator';
import { startLocalStage, type LocalStage } from '@hybrid-runner/local';
import { BridgeClient } from '@hybrid-runner/protocol';
import { logger } from '../../../functions/lib/logger.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const AGENT_ID = 'archive-runner';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.archive-e2e-bot-token-never-echoed.c2lnbmF0dXJl';
const TASK = 'ingestion_task';
const workflowConfig = {
  source: { type: 'mysql', serviceName: 'mysql', sourceConfig: { config: { type: 'DatabaseMetadata' } } },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
};
const pipeline = (name: string) => ({
  name,
  fullyQualifiedName: `prod.mysql.${name}`,
  pipelineType: 'metadata' as const,
});
// Twenty writes of ~30 KB (many lines each): several pages of getIngestionLogs.
const CHUNKS = Array.from({ length: 20 }, (_, chunk) =>
  Array.from({ length: 600 }, (_, i) => `${chunk}:${i} INFO "quoted" é 😀 \u0001 archived line\n`).join(''),
);
const LOG = CHUNKS.join('');

const saved = { ...process.env };
let directory: string;
let current: { stage: LocalStage; bridge: BridgeClient } | undefined;

/** The stages share this process's environment (as the handlers read it): one at a time. */
async function stop(): Promise<void> {
  await current?.bridge.close();
  await current?.stage.close();
  current = undefined;
}

async function start(env: NodeJS.ProcessEnv = {}): Promise<{ stage: LocalStage; bridge: BridgeClient }> {
  const stage = await startLocalStage({
    agentId: AGENT_ID,
    token: TOKEN,
    port: 0,
    kubeconfigPath: join(directory, `kubeconfig-${Math.random().toString(36).slice(2)}`),
    cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
    heartbeatSeconds: 60,
    controller: { pendingMs: 10, podRunMs: 120, cronTickMs: 0 },
    env,
    onTask: () => {},
  });
  const bridge = await BridgeClient.connect(stage.url, {
    token: TOKEN,
    agentId: AGENT_ID,
    requestTimeoutMs: 20_000,
    reconnect: { maxAttempts: 0 },
  });
  current = { stage, bridge };
  return current;
}

/** Deploys and runs `name` with the scripted log, and waits until the simulated controller finished it. */
async function finishedRun(stage: LocalStage, bridge: BridgeClient, name: string) {
  const p = pipeline(name);
  stage.emulator!.controller!.setScenario(
    { labelSelector: `${LABELS.pipeline}=${pipelineLabelValue(p.fullyQualifiedName)}` },
    { logs: CHUNKS, templateName: 'main' },
  );
  await bridge.request('deployPipeline', { pipeline: p, workflowConfig });
  const run = await bridge.request('runPipeline', { pipeline: p });
  const workflow = await stage.emulator!.controller!.waitForPhase(
    stage.namespace,
    run.workflowName,
    ['Succeeded', 'Failed', 'Error'],
    20_000,
  );
  expect((workflow['status'] as { phase: string }).phase).toBe('Succeeded');
  return { p, run, workflow };
}

function mainPods(stage: LocalStage, workflowName: string): KubeObject[] {
  return stage.emulator!.cluster.store.list(stage.emulator!.cluster.resource('', 'pods'), {
    namespace: stage.namespace,
    labels: [{ key: 'workflows.argoproj.io/workflow', operator: 'equals', value: workflowName }],
  }).items;
}

function archiveClient(stage: LocalStage): S3Client {
  return new S3Client({
    region: 'eu-west-1',
    endpoint: stage.logArchive!.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}

beforeAll(() => {
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('ERROR');
  directory = mkdtempSync(join(tmpdir(), 'hybrid-runner-archive-e2e-'));
});

afterAll(async () => {
  await stop();
  rmSync(directory, { recursive: true, force: true });
  process.env = saved;
});

afterEach(stop);

describe('archived logs through the local stage (emulator with a simulated Argo controller, s3rver as S3 stand-in)', () => {
  it('keeps serving a run’s log through the same cursors after its pod is deleted', async () => {
    const { stage, bridge } = await start();
    expect(stage.logArchive?.bucket).toBe('hybrid-runner-logs');
    const { p, run } = await finishedRun(stage, bridge, 'archived_after_gc');
    // The controller archived the main log under namespace/workflow/pod/main.log, byte for byte.
    const s3 = archiveClient(stage);
    try {
      const listed = await s3.send(
        new ListObjectsV2Command({
          Bucket: stage.logArchive!.bucket,
          Prefix: `${stage.namespace}/${run.workflowName}/`,
        }),
      );
      const keys = (listed.Contents ?? []).map((object) => object.Key as string);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      const pod = mainPods(stage, run.workflowName).find(
        (candidate) => candidate.metadata?.labels?.[LABELS.template] === 'main',
      )!;
      const mainKey = `${stage.namespace}/${run.workflowName}/${pod.metadata!.name}/main.log`;
      expect(keys).toContain(mainKey);
      const object = await s3.send(new GetObjectCommand({ Bucket: stage.logArchive!.bucket, Key: mainKey }));
      expect(await object.Body!.transformToString()).toBe(LOG);
    } finally {
      s3.destroy();
    }

    // Two pages from the pod, then the pods go (what Argo's pod GC does), then the rest with the same cursor.
    const texts: string[] = [];
    const totals: number[] = [];
    let after: string | undefined;
    do {
      if (texts.length === 2) {
        for (const pod of mainPods(stage, run.workflowName))
          stage.emulator!.cluster.delete(
            stage.emulator!.cluster.resource('', 'pods'),
            stage.namespace,
            pod.metadata!.name!,
          );
        expect(mainPods(stage, run.workflowName)).toEqual([]);
      }
      const page = await bridge.request('getIngestionLogs', {
        pipeline: p,
        runId: run.runId,
        ...(after ? { after } : {}),
      });
      texts.push(page[TASK] as string);
      totals.push(page.total);
      after = page.after;
    } while (after);
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe(LOG);
    expect(new Set(totals)).toEqual(new Set([texts.length]));
    expect(stage.emulator!.controller!.errors).toEqual([]);
  });

  it('serves the whole log from the archive when Argo’s podGC deleted the pod as it completed', async () => {
    const { stage, bridge } = await start({
      HYBRID_RUNNER__ingestionPods__podGC__strategy: 'OnPodCompletion',
    });
    const { p, run } = await finishedRun(stage, bridge, 'archived_pod_gc');
    await expect.poll(() => mainPods(stage, run.workflowName).length, { timeout: 5_000 }).toBe(0);
    const texts: string[] = [];
    let after: string | undefined;
    do {
      const page = await bridge.request('getIngestionLogs', {
        pipeline: p,
        runId: run.runId,
        ...(after ? { after } : {}),
      });
      texts.push(page[TASK] as string);
      after = page.after;
    } while (after);
    expect(texts.join('')).toBe(LOG);
    // Without a run id, the latest run's log, from the archive too.
    const latest = await bridge.request('getIngestionLogs', { pipeline: p });
    expect(LOG.startsWith(latest[TASK] as string)).toBe(true);
  });
});
