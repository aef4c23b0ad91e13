// The Kubernetes provider's kubeconfig as the stack builds it (Pulumi mocks), run for real: its exec entry is
// handed to @kubernetes/client-node's exec credential plugin support (as the provider's client-go would run
// it), which starts our `hybrid-runner eks token`; the token goes to the Kubernetes emulator in EKS mode,
// which verifies it by re-signing the presigned STS request with the known credentials. Not real STS, IAM
// or EKS; it proves the command is runnable from the checkout without the AWS CLI and yields a valid token.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig } from '@hybrid-runner/config';
import { startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { REGION, runStack } from './harness.ts';

const CLUSTER = 'prod-eks';
const credentials = {
  accessKeyId: 'ASIADEPLOYER',
  secretAccessKey: 'deployer-secret-key',
  sessionToken: 'deployer-session-token',
};
let emulator: KubernetesEmulator;
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'eks',
      region: REGION,
      clusterName: CLUSTER,
      credentials: {
        ...credentials,
        username: 'arn:aws:sts::123456789012:assumed-role/deployer/me',
        groups: [],
      },
    },
    crdFiles: [],
    controller: false,
  });
});
afterAll(async () => {
  process.env = savedEnvironment;
  await emulator?.close();
});

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ user: { exec: { command: string; args: string[]; interactiveMode?: string } } }>;
}

describe('deployer kubeconfig: hybrid-runner eks token as exec plugin (against the emulator in EKS mode, not real EKS)', async () => {
  const run = await runStack(
    parseStageConfig({ serverHost: 'acme.getcollate.io', cluster: { name: CLUSTER } }),
  );
  const [provider] = run.ofType('pulumi:providers:kubernetes');
  const kubeconfig = JSON.parse(String(provider?.inputs.kubeconfig)) as Kubeconfig;

  it('runs our CLI with the Node of the deploy, from the checkout, not the AWS CLI', () => {
    const exec = kubeconfig.users[0]!.user.exec;
    expect(exec.command).toBe(process.execPath);
    expect(exec.args).toEqual([
      `${process.cwd()}/packages/cli/bin/hybrid-runner.js`,
      'eks',
      'token',
      '--cluster',
      CLUSTER,
      '--region',
      REGION,
    ]);
    expect(exec.interactiveMode).toBe('Never');
    expect(JSON.stringify(kubeconfig)).not.toMatch(/"aws"|get-token/);
  });

  it('yields a token the cluster accepts, with the deployer credentials from the environment', async () => {
    // The stack's kubeconfig, pointed at the emulator instead of the mocked endpoint; the user is as built.
    kubeconfig.clusters[0]!.cluster = {
      server: emulator.url,
      'certificate-authority-data': Buffer.from(emulator.caCert).toString('base64'),
    };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = credentials.sessionToken;
    const config = new k8s.KubeConfig();
    config.loadFromString(JSON.stringify(kubeconfig));
    const version = await config.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\./);
    expect(await config.makeApiClient(k8s.CoreV1Api).listNamespace()).toMatchObject({
      items: expect.any(Array),
    });
    expect(emulator.audit.entries({ allowed: true }).map((entry) => entry.user)).toContain(
      'arn:aws:sts::123456789012:assumed-role/deployer/me',
    );
  }, 60_000);
});
