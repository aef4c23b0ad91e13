// The local stage's two documented alternatives, exercised without AWS or a real cluster by standing in
// for them: "a real cluster" is a second Kubernetes emulator reached through a kubeconfig with a static
// token (no EKS stand-in involved), and "real Secrets Manager" is a Secrets Manager stand-in the test
// starts itself and names through AWS_ENDPOINT_URL_SECRETS_MANAGER, with its own keys in the environment.
// This proves the wiring of both modes; it cannot prove a real EKS cluster or real IAM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '@hybrid-runner/protocol';
import {
  createKubeconfig,
  startKubernetesEmulator,
  type KubernetesEmulator,
} from '@hybrid-runner/k8s-emulator';
import { startLocalStage, type LocalStage, type TaskOutcome } from '@hybrid-runner/local';
import {
  startSecretsManagerStandIn,
  type SecretsManagerStandIn,
} from '../../../packages/local/src/standins/secrets-manager.ts';
import { logger } from '../../../functions/lib/logger.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const TOKEN = 'token-kept-in-the-users-secrets-manager';
const USER_KEYS = { accessKeyId: 'AKIAUSERSOWNKEYS0001', secretAccessKey: 'users-own-secret-key' };
const COLLATE_ECR_KEYS = { accessKeyId: 'AKIACOLLATEECRKEYS01', secretAccessKey: 'collate-ecr-secret' };

let directory: string;
let cluster: KubernetesEmulator;
let secretsManager: SecretsManagerStandIn;
let stage: LocalStage;
const tasks: TaskOutcome[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  logger.setLogLevel('ERROR');
  // The registry refresh's EMF lines would land in the test output (the stage runs in this process).
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  directory = mkdtempSync(join(tmpdir(), 'local-stage-backends-'));
  cluster = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { 'cluster-admin-token': { username: 'admin' } } },
    namespaces: ['collate-ingestion'],
    controller: { podRunMs: 100 },
  });
  cluster.cluster.create(cluster.cluster.resource('', 'serviceaccounts'), 'collate-ingestion', {
    metadata: { name: 'ingestion' },
  });
  const kubeconfig = join(directory, 'real-cluster.kubeconfig');
  writeFileSync(
    kubeconfig,
    createKubeconfig({ server: cluster.url, caCert: cluster.caCert, token: 'cluster-admin-token' }),
  );
  secretsManager = await startSecretsManagerStandIn({
    region: 'eu-west-1',
    accessKeys: { [USER_KEYS.accessKeyId]: USER_KEYS.secretAccessKey },
    secrets: {
      CollateAuthToken: TOKEN,
      CollateEcrCredentials: JSON.stringify(COLLATE_ECR_KEYS),
    },
  });
  // The user's shell: their own credentials, and (standing in for AWS) the endpoint of "real" Secrets Manager.
  process.env.AWS_ACCESS_KEY_ID = USER_KEYS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = USER_KEYS.secretAccessKey;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  stage = await startLocalStage({
    agentId: 'backends-runner',
    token: 'ignored-when-secrets-manager-is-real',
    port: 0,
    kubeconfigPath: join(directory, 'unused-kubeconfig'),
    cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
    kubeconfig,
    useAwsSecretsManager: true,
    onTask: (outcome) => tasks.push(outcome),
  });
}, 60_000);

afterAll(async () => {
  await stage?.close();
  await secretsManager?.close();
  await cluster?.close();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(directory, { recursive: true, force: true });
});

describe('npm start with KUBECONFIG and USE_AWS_SECRETS_MANAGER=1 (stand-ins for both)', () => {
  it('reads the bot token from Secrets Manager and starts no sandbox', () => {
    expect(stage.token).toBe(TOKEN);
    expect(stage.kubernetesApi).toBe(cluster.url);
    expect(stage.sandboxControl).toBeUndefined();
    expect(stage.emulator).toBeUndefined();
    expect(stage.clientEnv.KUBECONFIG).toBe(join(directory, 'real-cluster.kubeconfig'));
    // The CLI keeps the user's own credentials and endpoint: no placeholders, no stand-in endpoint.
    expect(stage.clientEnv.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(stage.clientEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBeUndefined();
  });

  it('runs a pipeline on the kubeconfig cluster, with Secrets Manager checks against the real one', async () => {
    const client = await BridgeClient.connect(stage.url, {
      token: TOKEN,
      agentId: 'backends-runner',
      reconnect: { maxAttempts: 0 },
      requestTimeoutMs: 20_000,
    });
    try {
      const pipeline = { name: 'p', fullyQualifiedName: 'svc.p', pipelineType: 'metadata' as const };
      await client.request('deployPipeline', { pipeline, workflowConfig: { source: { type: 'mysql' } } });
      const run = await client.request('runPipeline', { pipeline });
      const workflows = cluster.cluster.store.list(cluster.cluster.resource('argoproj.io', 'workflows'), {
        namespace: 'collate-ingestion',
      }).items;
      expect(workflows.map((workflow) => (workflow.metadata as { name?: string }).name)).toContain(
        run.workflowName,
      );
      const missing = client.request('runAutomationsWorkflow', {
        workflow: {
          id: 'w',
          name: 'test-conn',
          workflowType: 'TEST_CONNECTION',
          request: { connection: { config: { password: 'secret:/collate/hybrid-ingestion-runner/absent' } } },
        },
      });
      await expect(missing).rejects.toMatchObject({ code: 'secret_reference_invalid' });
      expect(
        secretsManager.requests.some(
          (request) => request.secretId === '/collate/hybrid-ingestion-runner/absent',
        ),
      ).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('refreshes the pull secret on the kubeconfig cluster with the ECR keys from Secrets Manager', async () => {
    const outcome = await stage.scheduler.runNow('ecr-refresh');
    expect(outcome).toMatchObject({ ok: true });
    const secret = cluster.cluster.get(
      cluster.cluster.resource('', 'secrets'),
      'collate-ingestion',
      'omd-registry-credentials',
    );
    expect(secret).toMatchObject({ type: 'kubernetes.io/dockerconfigjson' });
  });
});
