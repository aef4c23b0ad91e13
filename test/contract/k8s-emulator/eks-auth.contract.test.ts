// Contract: EKS bearer tokens over HTTPS with the real client. The emulator re-signs the presigned STS URL
// with the configured credentials, which is what makes a token valid for EKS; it cannot prove that real
// STS/IAM would accept the credentials themselves.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { createEksToken, createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';

const credentials = {
  accessKeyId: 'ASIAEMULATEDLAMBDA',
  secretAccessKey: 'lambda-secret',
  sessionToken: 'lambda-session',
};
const cluster = { region: 'eu-west-1', clusterName: 'collate-ingestion' };
let emulator: KubernetesEmulator;
const rejections: string[] = [];

function client(token: string): k8s.CoreV1Api {
  const config = new k8s.KubeConfig();
  config.loadFromString(createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token }));
  return config.makeApiClient(k8s.CoreV1Api);
}

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'eks',
      ...cluster,
      credentials: {
        ...credentials,
        username: 'arn:aws:sts::123456789012:assumed-role/runner/lambda',
        groups: ['hybrid-runner'],
      },
    },
    rbac: [
      {
        groups: ['hybrid-runner'],
        verbs: ['get', 'list'],
        apiGroups: [''],
        resources: ['secrets'],
        namespaces: ['default'],
      },
    ],
    crdFiles: [],
    controller: false,
    log: (message) => rejections.push(message),
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe('EKS token authentication over HTTPS by the emulator (contract; not real STS or IAM)', () => {
  it('accepts a fresh token and maps it to the access entry user and groups for RBAC', async () => {
    const token = await createEksToken({ ...cluster, credentials });
    await expect(client(token).listNamespacedSecret({ namespace: 'default' })).resolves.toMatchObject({
      items: [],
    });
    const denied = client(token).listNamespacedSecret({ namespace: 'kube-system' });
    await expect(denied).rejects.toMatchObject({ code: 403 });
    expect(emulator.audit.entries({ allowed: false })[0]).toMatchObject({
      user: 'arn:aws:sts::123456789012:assumed-role/runner/lambda',
      namespace: 'kube-system',
    });
  });

  it('rejects expired, wrong-cluster and wrong-key tokens with 401 and keeps the reason out of the response', async () => {
    const expired = await createEksToken({
      ...cluster,
      credentials,
      signingDate: new Date(Date.now() - 16 * 60_000),
    });
    const otherCluster = await createEksToken({ ...cluster, clusterName: 'someone-else', credentials });
    const wrongSecret = await createEksToken({
      ...cluster,
      credentials: { ...credentials, secretAccessKey: 'guessed' },
    });
    for (const token of [expired, otherCluster, wrongSecret, 'k8s-aws-v1.garbage']) {
      await expect(client(token).listNamespacedSecret({ namespace: 'default' })).rejects.toMatchObject({
        code: 401,
      });
    }
    expect(rejections.some((line) => line.includes('token expired'))).toBe(true);
    expect(rejections.some((line) => line.includes('signature mismatch'))).toBe(true);
    expect(rejections.join('\n')).not.toContain(credentials.secretAccessKey);
  });
});
