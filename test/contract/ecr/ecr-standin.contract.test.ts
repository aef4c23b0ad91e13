// The ECR stand-in speaks ECR's wire protocol as far as the refresh needs it: the real
// @aws-sdk/client-ecr signs (SigV4) and parses (JSON 1.1) against it. What it cannot prove: that real
// ECR accepts Collate's keys, or IAM policy decisions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { decodeAuthorizationToken } from '@hybrid-runner/core';
import { startEcrStandIn } from '../../../packages/local/src/standins/ecr.ts';
import type { EcrStandIn } from '../../../packages/local/src/standins/ecr.ts';

const KEY = { accessKeyId: 'AKIASTANDINKEY000001', secretAccessKey: 'stand-in/secret+key' };
const OTHER_ACCOUNT_KEY = { accessKeyId: 'AKIASTANDINKEY000002', secretAccessKey: 'second' };
const NOW = new Date('2026-05-01T08:00:00Z');
let ecr: EcrStandIn;

beforeAll(async () => {
  ecr = await startEcrStandIn({
    accessKeys: {
      [KEY.accessKeyId]: { secretAccessKey: KEY.secretAccessKey },
      [OTHER_ACCOUNT_KEY.accessKeyId]: {
        secretAccessKey: OTHER_ACCOUNT_KEY.secretAccessKey,
        account: '123456789012',
      },
    },
    now: () => NOW,
  });
});
afterAll(() => ecr.close());

const client = (
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region = 'eu-west-1',
) => new ECRClient({ region, endpoint: ecr.url, credentials, maxAttempts: 1 });

async function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (error: unknown) => (error as Error).name,
  );
}

describe('ECR stand-in (GetAuthorizationToken over the wire)', () => {
  it('issues a 12-hour AWS:<password> token for the signing region and the key account', async () => {
    const result = await client(KEY).send(new GetAuthorizationTokenCommand({}));
    const data = result.authorizationData![0]!;
    expect(data.expiresAt).toEqual(new Date(NOW.getTime() + 12 * 3600_000));
    expect(data.proxyEndpoint).toBe('https://118146679784.dkr.ecr.eu-west-1.amazonaws.com');
    const { username, password } = decodeAuthorizationToken(data.authorizationToken!);
    expect(username).toBe('AWS');
    expect(ecr.issuedPasswords).toContain(password);

    const other = await client(OTHER_ACCOUNT_KEY, 'ap-southeast-2').send(
      new GetAuthorizationTokenCommand({}),
    );
    expect(other.authorizationData![0]!.proxyEndpoint).toBe(
      'https://123456789012.dkr.ecr.ap-southeast-2.amazonaws.com',
    );
  });

  it('accepts temporary credentials (session token among the signed headers)', async () => {
    const result = await client({ ...KEY, sessionToken: 'FwoGZXIvYXdzEXAMPLE' }).send(
      new GetAuthorizationTokenCommand({}),
    );
    expect(result.authorizationData).toHaveLength(1);
  });

  it('answers an unknown key and a wrong secret as ECR does', async () => {
    expect(
      await errorName(
        client({ ...KEY, accessKeyId: 'AKIANOTKNOWN00000000' }).send(new GetAuthorizationTokenCommand({})),
      ),
    ).toBe('UnrecognizedClientException');
    expect(
      await errorName(
        client({ ...KEY, secretAccessKey: 'wrong' }).send(new GetAuthorizationTokenCommand({})),
      ),
    ).toBe('InvalidSignatureException');
  });

  it('refuses unsigned requests and other operations', async () => {
    const unsigned = await fetch(ecr.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(await errorName(client(KEY).send(new DescribeRepositoriesCommand({})))).toBe(
      'UnknownOperationException',
    );
  });

  it('injects faults that the SDK retries itself, and latency', async () => {
    ecr.failNext(1, 'ServerException', 500);
    const retrying = new ECRClient({
      region: 'eu-west-1',
      endpoint: ecr.url,
      credentials: KEY,
      maxAttempts: 3,
    });
    await expect(retrying.send(new GetAuthorizationTokenCommand({}))).resolves.toHaveProperty(
      'authorizationData',
    );
    expect(ecr.requests.at(-2)).toMatchObject({ error: 'ServerException' });
    ecr.setLatency(60);
    const started = performance.now();
    await client(KEY).send(new GetAuthorizationTokenCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    ecr.setLatency(0);
  });
});
