// The real AWS SDK v3 clients against the local wire-compatible stand-ins (EKS DescribeCluster, Secrets
// Manager). Proves the wire format and our adapters' handling; it cannot prove real IAM or real AWS limits.
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerSecretStore, clearEksClusterInfoCache, describeEksCluster } from '@hybrid-runner/aws';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import { startEksStandIn } from '../../../packages/local/src/standins/eks.ts';
import type { EksStandIn } from '../../../packages/local/src/standins/eks.ts';
import { startSecretsManagerStandIn } from '../../../packages/local/src/standins/secrets-manager.ts';
import type { SecretsManagerStandIn } from '../../../packages/local/src/standins/secrets-manager.ts';

const credentials = {
  accessKeyId: 'AKIASTANDIN',
  secretAccessKey: 'stand-in-secret',
  sessionToken: 'session-token',
};
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('EKS DescribeCluster through the SDK against the EKS stand-in (not real EKS or IAM)', () => {
  let eks: EksStandIn;
  beforeAll(async () => {
    eks = await startEksStandIn({
      clusters: { ingest: { endpoint: 'https://127.0.0.1:6443', caCertPem: CA_PEM, version: '1.33' } },
      accessKeys: { [credentials.accessKeyId]: credentials.secretAccessKey },
    });
  });
  afterAll(() => eks.close());
  beforeEach(() => clearEksClusterInfoCache());

  it('returns endpoint and base64 CA for a signed request, once per container', async () => {
    const options = { clusterName: 'ingest', region: 'eu-west-1', credentials, endpointOverride: eks.url };
    const info = await describeEksCluster(options);
    await describeEksCluster(options);
    expect(info).toMatchObject({ endpoint: 'https://127.0.0.1:6443', version: '1.33', status: 'ACTIVE' });
    expect(Buffer.from(info.certificateAuthorityData, 'base64').toString('utf8')).toBe(CA_PEM);
    expect(eks.requests.filter((r) => r.clusterName === 'ingest')).toHaveLength(1);
    expect(eks.requests[0]).toMatchObject({
      operation: 'DescribeCluster',
      accessKeyId: 'AKIASTANDIN',
      region: 'eu-west-1',
    });
  });

  it('maps an unknown cluster and a bad signature to clear cluster_unavailable errors', async () => {
    await expect(
      describeEksCluster({
        clusterName: 'nope',
        region: 'eu-west-1',
        credentials,
        endpointOverride: eks.url,
      }),
    ).rejects.toThrow(/"nope" does not exist in eu-west-1/);
    const error = await describeEksCluster({
      clusterName: 'ingest',
      region: 'eu-west-1',
      credentials: { ...credentials, secretAccessKey: 'wrong' },
      endpointOverride: eks.url,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).not.toContain('wrong');
  });

  it('recovers from a transient EKS 500 through the SDK retries', async () => {
    eks.failNext(1);
    const info = await describeEksCluster({
      clusterName: 'ingest',
      region: 'eu-west-1',
      credentials,
      endpointOverride: eks.url,
    });
    expect(info.endpoint).toBe('https://127.0.0.1:6443');
  });
});

describe('Secrets Manager through the SDK against the Secrets Manager stand-in (not real IAM or KMS)', () => {
  let secretsManager: SecretsManagerStandIn;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    secretsManager = await startSecretsManagerStandIn({
      accessKeys: { [credentials.accessKeyId]: credentials.secretAccessKey },
      secrets: { '/collate/hybrid-ingestion-runner/db': 'hunter2' },
    });
    client = new SecretsManagerClient({ region: 'eu-west-1', credentials, endpoint: secretsManager.url });
  });
  afterAll(() => secretsManager.close());

  it('answers DescribeSecret for the secret store without ever returning or recording the value', async () => {
    const store = new SecretsManagerSecretStore({
      region: 'eu-west-1',
      credentials,
      endpointOverride: secretsManager.url,
    });
    expect(await store.exists('/collate/hybrid-ingestion-runner/db')).toBe(true);
    expect(await store.exists('/collate/hybrid-ingestion-runner/missing')).toBe(false);
    expect(JSON.stringify(secretsManager.requests)).not.toContain('hunter2');
    expect(secretsManager.requests.map((r) => r.operation)).toEqual(['DescribeSecret', 'DescribeSecret']);
  });

  it('creates, versions and reads secrets like Secrets Manager (AWSCURRENT, idempotent request tokens)', async () => {
    const name = '/collate/hybrid-ingestion-runner/api-key';
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    await expect(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'again' })),
    ).rejects.toMatchObject({
      name: 'ResourceExistsException',
    });
    const token = 'a'.repeat(32);
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: token }),
    );
    const repeat = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: token }),
    );
    expect(repeat.VersionId).toBe(put.VersionId);
    const read = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(read).toMatchObject({ SecretString: 'v2', VersionStages: ['AWSCURRENT'] });
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: read.ARN, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('v1');
  });

  it('shows secrets scheduled for deletion as missing and survives throttling', async () => {
    const store = new SecretsManagerSecretStore({
      region: 'eu-west-1',
      credentials,
      endpointOverride: secretsManager.url,
    });
    await client.send(new CreateSecretCommand({ Name: 'leaving', SecretString: 'x' }));
    secretsManager.scheduleDeletion('leaving');
    expect(await store.exists('leaving')).toBe(false);
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'leaving' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    secretsManager.failNext(1, 'ThrottlingException', 400);
    expect(await store.exists('/collate/hybrid-ingestion-runner/db')).toBe(true);
  });

  it('refuses requests signed with an unknown key', async () => {
    const stranger = new SecretsManagerClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
      endpoint: secretsManager.url,
    });
    await expect(
      stranger.send(new GetSecretValueCommand({ SecretId: '/collate/hybrid-ingestion-runner/db' })),
    ).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });
});
