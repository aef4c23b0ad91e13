// Every bridge operation through core's createOperations and this adapter, over HTTPS against the Kubernetes
// emulator with its SimulatedArgoController. It proves the operations' objects pass the real Argo CRD
// schemas and the API semantics they rely on (labels, pagination, patches, logs); it cannot prove a real
// Argo controller's behaviour or real IAM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RESOURCES,
  SecretReferenceError,
  createOperations,
  defaultRunnerSettings,
  pipelineConfigSecretName,
  pipelineResourceName,
} from '@hybrid-runner/core';
import type { KubeObject, OperationDeps } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster, KubernetesSecretStore } from '@hybrid-runner/kubernetes';
import type { Pipeline } from '@hybrid-runner/protocol';
import { provideInstallPrerequisites } from '../../support/install-prerequisites.ts';

const NAMESPACE = 'collate-ingestion';
const TOKEN = 'runner-token';
const BOT_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.contract-bot-token.signature';

let emulator: KubernetesEmulator;
let cluster: KubernetesCluster;
let operations: ReturnType<typeof createOperations>;

const pipeline: Pipeline = {
  name: 'mysql_metadata',
  fullyQualifiedName: 'prod.mysql.mysql_metadata',
  pipelineType: 'metadata',
  airflowConfig: { scheduleInterval: '@daily', pipelineTimezone: 'Europe/Paris' },
};
const workflowConfig = {
  source: {
    type: 'mysql',
    serviceName: 'mysql',
    sourceConfig: { config: { type: 'DatabaseMetadata' } },
    serviceConnection: { config: { password: 'secret:/collate/hybrid-ingestion-runner/mysql-password' } },
  },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
};

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { [TOKEN]: { username: 'runner', groups: ['hybrid-runner'] } } },
    namespaces: [NAMESPACE],
    controller: { pendingMs: 10, podRunMs: 40, cronTickMs: 0 },
  });
  cluster = await KubernetesCluster.connect({
    mode: 'kubeconfig',
    text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: TOKEN }),
  });
  const settings = defaultRunnerSettings({ namespace: NAMESPACE });
  // What the install provides, and a user's secret.
  await provideInstallPrerequisites(cluster, NAMESPACE, settings.serviceAccountName);
  await cluster.create(RESOURCES.secret, NAMESPACE, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'collate-hybrid-ingestion-runner-mysql-password' },
    stringData: { value: 'db-password' },
  });
  const deps: OperationDeps = {
    cluster,
    secrets: new KubernetesSecretStore(cluster, NAMESPACE),
    clock: { now: () => new Date() },
    ids: { runId: () => crypto.randomUUID(), correlationId: () => crypto.randomUUID() },
    settings,
    botToken: async () => BOT_TOKEN,
  };
  operations = createOperations(deps);
});
afterAll(async () => {
  await cluster?.close();
  await emulator?.close();
});

async function waitForState(runId: string, states: string[]) {
  let last: unknown;
  await expect
    .poll(
      async () => {
        const { runs } = await operations.getPipelineStatus({ pipeline });
        last = runs.find((run) => run.runId === runId);
        return (last as { pipelineState?: string } | undefined)?.pipelineState;
      },
      { timeout: 5_000, interval: 25 },
    )
    .toSatisfy((state: string | undefined) => state !== undefined && states.includes(state));
  return last as { pipelineState: string; workflowName: string };
}

describe('every operation through the adapter against the emulator and its SimulatedArgoController (not Argo)', () => {
  it('ping and getServiceStatus see the cluster and the Argo CRDs', async () => {
    expect(await operations.ping({})).toMatchObject({ pong: true });
    expect(await operations.getServiceStatus({})).toMatchObject({
      code: 200,
      status: 'healthy',
      platform: 'Argo',
    });
  });

  it('deployPipeline writes the config Secret and a CronWorkflow the real CRD schema accepts', async () => {
    expect(await operations.deployPipeline({ pipeline, workflowConfig })).toMatchObject({ code: 200 });
    const cron = await cluster.get<KubeObject>(
      RESOURCES.cronWorkflow,
      NAMESPACE,
      pipelineResourceName(pipeline.fullyQualifiedName),
    );
    expect(cron?.spec).toMatchObject({ schedules: ['0 0 * * *'], timezone: 'Europe/Paris' });
    const secret = await cluster.get<KubeObject>(
      RESOURCES.secret,
      NAMESPACE,
      pipelineConfigSecretName(pipeline.fullyQualifiedName),
    );
    expect(secret).toBeDefined();
    expect(JSON.stringify(cron)).not.toContain(BOT_TOKEN);
    // Deploying again updates in place.
    expect(await operations.deployPipeline({ pipeline, workflowConfig })).toMatchObject({ code: 200 });
  });

  it('deployPipeline refuses a secret: reference that does not exist in the cluster', async () => {
    const broken = structuredClone(workflowConfig);
    broken.source.serviceConnection.config.password = 'secret:/collate/hybrid-ingestion-runner/missing';
    await expect(operations.deployPipeline({ pipeline, workflowConfig: broken })).rejects.toBeInstanceOf(
      SecretReferenceError,
    );
  });

  it('toggleIngestion suspends and resumes the schedule', async () => {
    const name = pipelineResourceName(pipeline.fullyQualifiedName);
    await operations.toggleIngestion({ pipeline: { ...pipeline, enabled: false } });
    expect((await cluster.get<KubeObject>(RESOURCES.cronWorkflow, NAMESPACE, name))?.spec).toMatchObject({
      suspend: true,
    });
    await operations.toggleIngestion({ pipeline: { ...pipeline, enabled: true } });
    expect((await cluster.get<KubeObject>(RESOURCES.cronWorkflow, NAMESPACE, name))?.spec).toMatchObject({
      suspend: false,
    });
  });

  it('runPipeline starts a Workflow that the simulated controller runs to success; logs come from main', async () => {
    emulator.controller?.setScenario(
      { labelSelector: '' },
      { outcome: 'succeed', logs: ['ingesting table customers', 'ingestion finished'] },
    );
    const { runId, workflowName } = await operations.runPipeline({ pipeline });
    const finished = await waitForState(runId, ['success', 'failed']);
    expect(finished).toMatchObject({ pipelineState: 'success', workflowName });
    const logs = await operations.getIngestionLogs({ pipeline, runId });
    expect(logs.total).toBeGreaterThanOrEqual(1);
    expect(String(logs.ingestion_task)).toContain('ingestion finished');
    emulator.controller?.clearScenarios();
  });

  it('killIngestion stops a running run, reported as stopped', async () => {
    emulator.controller?.setScenario({}, { outcome: 'succeed', durationMs: 60_000 });
    const { runId } = await operations.runPipeline({ pipeline });
    await waitForState(runId, ['running']);
    expect(await operations.killIngestion({ pipeline, runId })).toMatchObject({ code: 200 });
    expect(await waitForState(runId, ['stopped', 'failed'])).toMatchObject({ pipelineState: 'stopped' });
    emulator.controller?.clearScenarios();
  });

  it('reports a run whose image cannot be pulled as failed with a reason', async () => {
    emulator.controller?.setScenario({}, { outcome: 'imagePullError', reason: 'ImagePullBackOff' });
    const { runId } = await operations.runPipeline({ pipeline });
    const { runs } = await (async () => {
      await expect
        .poll(
          async () =>
            (await operations.getPipelineStatus({ pipeline })).runs.find((r) => r.runId === runId)?.reason,
          {
            timeout: 5_000,
            interval: 25,
          },
        )
        .toBeTruthy();
      return operations.getPipelineStatus({ pipeline });
    })();
    expect(runs.find((r) => r.runId === runId)?.reason).toMatch(/image|pull/i);
    await operations.killIngestion({ pipeline, runId });
    emulator.controller?.clearScenarios();
  });

  it('runAutomationsWorkflow and runApplicationFlow start one-off Workflows the controller runs', async () => {
    const automation = await operations.runAutomationsWorkflow({
      workflow: {
        id: '5f0a9d8e-0000-4000-8000-000000000001',
        name: 'test-connection-mysql',
        workflowType: 'TEST_CONNECTION',
        request: { connection: { config: { type: 'Mysql' } } },
      },
    });
    const application = await operations.runApplicationFlow({
      application: { name: 'DataInsightsApplication' },
    });
    for (const { workflowName } of [automation, application]) {
      await expect
        .poll(
          async () =>
            (
              (await cluster.get<KubeObject>(RESOURCES.workflow, NAMESPACE, workflowName))?.status as
                { phase?: string } | undefined
            )?.phase,
          { timeout: 5_000, interval: 25 },
        )
        .toBe('Succeeded');
    }
    expect(emulator.controller?.errors).toEqual([]);
  });

  it('deletePipeline removes schedule, config and runs; deleting again is fine', async () => {
    expect(await operations.deletePipeline({ pipeline })).toMatchObject({ code: 200 });
    expect(
      await cluster.get(RESOURCES.cronWorkflow, NAMESPACE, pipelineResourceName(pipeline.fullyQualifiedName)),
    ).toBeUndefined();
    expect(
      await cluster.get(RESOURCES.secret, NAMESPACE, pipelineConfigSecretName(pipeline.fullyQualifiedName)),
    ).toBeUndefined();
    expect((await operations.getPipelineStatus({ pipeline })).runs).toEqual([]);
    expect(await operations.deletePipeline({ pipeline })).toMatchObject({ code: 200 });
  });

  it('never put the bot token anywhere but the config Secrets', async () => {
    for (const type of [RESOURCES.workflow, RESOURCES.cronWorkflow, RESOURCES.pod]) {
      const { items } = await cluster.list(type, NAMESPACE);
      expect(JSON.stringify(items)).not.toContain(BOT_TOKEN);
    }
    expect(emulator.controller?.errors).toEqual([]);
  });
});
