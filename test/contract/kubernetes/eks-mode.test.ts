// EKS mode end to end, without AWS: DescribeCluster through the real SDK against the EKS stand-in (which
// serves the emulator's endpoint and CA), then Kubernetes calls with tokens the runner mints itself, which
// the emulator verifies by re-signing the presigned STS URL with the known credentials. What this cannot
// prove: that real STS/IAM and a real EKS access entry accept the token.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearEksClusterInfoCache } from '@hybrid-runner/aws';
import { RESOURCES } from '@hybrid-runner/core';
import { startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster, UnauthenticatedError, loadClusterConfig } from '@hybrid-runner/kubernetes';
import { startEksStandIn } from '../../../packages/local/src/standins/eks.ts';
import type { EksStandIn } from '../../../packages/local/src/standins/eks.ts';

const REGION = 'eu-west-1';
const CLUSTER = 'collate-ingestion';
const credentials = {
  accessKeyId: 'ASIARUNNERROLE',
  secretAccessKey: 'runner-role-secret',
  sessionToken: 'runner-role-session-token',
};

let emulator: KubernetesEmulator;
let eks: EksStandIn;

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'eks',
      region: REGION,
      clusterName: CLUSTER,
      credentials: {
        ...credentials,
        username: 'arn:aws:sts::123456789012:assumed-role/runner/fn',
        groups: ['hybrid-runner'],
      },
    },
    // No CRDs needed here: only authentication is under test.
    crdFiles: [],
    controller: false,
  });
  eks = await startEksStandIn({
    clusters: { [CLUSTER]: { endpoint: emulator.url, caCertPem: emulator.caCert } },
    accessKeys: { [credentials.accessKeyId]: credentials.secretAccessKey },
  });
});
afterAll(async () => {
  await eks?.close();
  await emulator?.close();
});
beforeEach(() => {
  clearEksClusterInfoCache();
  emulator.audit.clear();
});

describe('EKS mode against the EKS stand-in and the emulator (not real STS, IAM or EKS)', () => {
  it('loads endpoint and CA from DescribeCluster and authenticates with a self-minted token', async () => {
    const cluster = await KubernetesCluster.connect({
      mode: 'eks',
      clusterName: CLUSTER,
      region: REGION,
      credentials,
      endpointOverride: eks.url,
    });
    expect(cluster.config.server).toBe(emulator.url);
    expect((await cluster.serverVersion()).gitVersion).toBeTruthy();
    expect(await cluster.list(RESOURCES.secret, 'default')).toMatchObject({ items: [] });
    await cluster.close();
    expect(emulator.audit.entries({ allowed: true }).map((entry) => entry.user)).toContain(
      'arn:aws:sts::123456789012:assumed-role/runner/fn',
    );
  });

  it('mints a fresh token once when the cached one has expired mid-operation (401), then carries on', async () => {
    let calls = 0;
    const sixteenMinutesAgo = () => new Date(Date.now() - 16 * 60_000);
    // The first token is signed 16 minutes in the past (a Lambda container that slept), later ones now.
    const clock = { now: () => (calls++ === 0 ? sixteenMinutesAgo() : new Date()) };
    const config = await loadClusterConfig({
      mode: 'eks',
      clusterName: CLUSTER,
      region: REGION,
      credentials,
      endpointOverride: eks.url,
      clock,
    });
    const cluster = new KubernetesCluster(config, { sleep: async () => undefined });
    expect(await cluster.get(RESOURCES.namespace, undefined, 'default')).toMatchObject({
      metadata: { name: 'default' },
    });
    await cluster.close();
    expect(cluster.transport.requests).toBe(2);
  });

  it('reports credentials the cluster does not accept as unauthenticated, after one refresh', async () => {
    const cluster = await KubernetesCluster.connect(
      {
        mode: 'eks',
        clusterName: CLUSTER,
        region: REGION,
        credentials: { ...credentials, accessKeyId: 'ASIAUNMAPPED' },
        endpointOverride: eks.url,
      },
      { sleep: async () => undefined },
    ).catch((e: unknown) => e);
    // DescribeCluster itself is refused for an unknown key by the stand-in.
    expect(cluster).toMatchObject({ code: 'cluster_unavailable' });

    const otherCluster = await KubernetesCluster.connect({
      mode: 'eks',
      clusterName: CLUSTER,
      region: REGION,
      credentials: { ...credentials, sessionToken: 'a-different-session' },
      endpointOverride: eks.url,
    });
    const error = await otherCluster.serverVersion().catch((e: unknown) => e);
    await otherCluster.close();
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toMatch(
      /EKS cluster "collate-ingestion".*refused the runner's credentials.*access entry/,
    );
    expect((error as Error).message).not.toContain('k8s-aws-v1');
    expect(otherCluster.transport.requests).toBe(2);
  });

  it('works with the eks token CLI command as a kubeconfig exec plugin (kubectl-compatible ExecCredential)', async () => {
    const plugin = join(import.meta.dirname, 'exec-eks-token.ts');
    const kubeconfig = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'eks',
          cluster: {
            server: emulator.url,
            'certificate-authority-data': Buffer.from(emulator.caCert).toString('base64'),
          },
        },
      ],
      users: [
        {
          name: 'eks',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: process.execPath,
              args: [plugin],
              env: [
                { name: 'EKS_CLUSTER', value: CLUSTER },
                { name: 'EKS_REGION', value: REGION },
                { name: 'TEST_ACCESS_KEY_ID', value: credentials.accessKeyId },
                { name: 'TEST_SECRET_ACCESS_KEY', value: credentials.secretAccessKey },
                { name: 'TEST_SESSION_TOKEN', value: credentials.sessionToken },
              ],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name: 'eks', context: { cluster: 'eks', user: 'eks' } }],
      'current-context': 'eks',
    });
    const cluster = await KubernetesCluster.connect({ mode: 'kubeconfig', text: kubeconfig });
    expect((await cluster.serverVersion()).gitVersion).toBeTruthy();
    await cluster.close();
  });
});
