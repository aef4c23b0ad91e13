import { createHmac, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EKS_TOKEN_PREFIX, EksTokenProvider, decodeEksToken, mintEksToken } from '@hybrid-runner/aws';

const credentials = {
  accessKeyId: 'AKIAEXAMPLEKEY',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjE+/session==',
};
const signingDate = new Date('2026-03-01T12:00:00Z');

/** Independent SigV4 check of a presigned GET (what STS does when the authenticator forwards the URL). */
function verifyPresignedUrl(url: URL, clusterName: string, secretAccessKey: string): boolean {
  const params = [...url.searchParams.entries()].filter(([key]) => key !== 'X-Amz-Signature');
  const encode = (value: string) =>
    encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = params
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const signedHeaders = url.searchParams.get('X-Amz-SignedHeaders') ?? '';
  const headerValues: Record<string, string> = { host: url.host, 'x-k8s-aws-id': clusterName };
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => `${name}:${headerValues[name]}\n`)
    .join('');
  const emptyHash = createHash('sha256').update('').digest('hex');
  const canonicalRequest = ['GET', '/', canonicalQuery, canonicalHeaders, signedHeaders, emptyHash].join(
    '\n',
  );
  const date = url.searchParams.get('X-Amz-Date') ?? '';
  const scope = (url.searchParams.get('X-Amz-Credential') ?? '').split('/').slice(1).join('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const [day, region, service] = scope.split('/');
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`)
    .update(day ?? '')
    .digest();
  for (const part of [region ?? '', service ?? '', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === url.searchParams.get('X-Amz-Signature');
}

describe('EKS token minting', () => {
  it('wraps a presigned regional STS GetCallerIdentity URL in k8s-aws-v1. + unpadded base64url', async () => {
    const { token, expiresAt } = await mintEksToken({
      clusterName: 'ingest',
      region: 'eu-west-1',
      credentials,
      signingDate,
    });
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decodeEksToken(token);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260301T120000Z');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIAEXAMPLEKEY/20260301/eu-west-1/sts/aws4_request',
    );
    // Lambda credentials are temporary: without the session token STS rejects the URL.
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(expiresAt.toISOString()).toBe('2026-03-01T12:14:00.000Z');
  });

  it('signs so that an independent SigV4 check passes, and only for the named cluster', async () => {
    const { token } = await mintEksToken({
      clusterName: 'ingest',
      region: 'us-east-2',
      credentials,
      signingDate,
    });
    const url = decodeEksToken(token);
    expect(verifyPresignedUrl(url, 'ingest', credentials.secretAccessKey)).toBe(true);
    expect(verifyPresignedUrl(url, 'other-cluster', credentials.secretAccessKey)).toBe(false);
    expect(verifyPresignedUrl(url, 'ingest', 'wrong-secret')).toBe(false);
  });

  it('expires early when the credentials expire before 14 minutes', async () => {
    const expiration = new Date(signingDate.getTime() + 5 * 60_000);
    const { expiresAt } = await mintEksToken({
      clusterName: 'c',
      region: 'eu-west-1',
      credentials: { ...credentials, expiration },
      signingDate,
    });
    expect(expiresAt.getTime()).toBe(expiration.getTime() - 60_000);
  });

  it('rejects missing cluster name or region with a clear message', async () => {
    await expect(mintEksToken({ clusterName: '', region: 'eu-west-1', credentials })).rejects.toThrow(
      /cluster name/,
    );
    await expect(mintEksToken({ clusterName: 'c', region: '', credentials })).rejects.toThrow(/region/);
  });

  it('reports missing credentials as cluster_unavailable without leaking anything', async () => {
    const error = await mintEksToken({
      clusterName: 'c',
      region: 'eu-west-1',
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'cluster_unavailable' });
    expect((error as Error).message).toMatch(/No AWS credentials/);
  });

  it('rejects a token that is not an EKS token', () => {
    expect(() => decodeEksToken('Bearer abc')).toThrow(/k8s-aws-v1\./);
  });
});

describe('EksTokenProvider', () => {
  function providerAt(clock: { now: Date }) {
    return new EksTokenProvider({
      clusterName: 'ingest',
      region: 'eu-west-1',
      credentials,
      clock: { now: () => clock.now },
    });
  }

  it('reuses the token until 14 minutes, then mints a new one', async () => {
    const clock = { now: signingDate };
    const provider = providerAt(clock);
    const first = await provider.token();
    clock.now = new Date(signingDate.getTime() + 13 * 60_000 + 59_000);
    expect(await provider.token()).toBe(first);
    clock.now = new Date(signingDate.getTime() + 14 * 60_000);
    const second = await provider.token();
    expect(second).not.toBe(first);
    expect(decodeEksToken(second).searchParams.get('X-Amz-Date')).toBe('20260301T121400Z');
    expect(provider.minted).toBe(2);
  });

  it('mints once for concurrent callers and again after invalidate()', async () => {
    const clock = { now: signingDate };
    const provider = providerAt(clock);
    const tokens = await Promise.all([provider.token(), provider.token(), provider.token()]);
    expect(new Set(tokens).size).toBe(1);
    expect(provider.minted).toBe(1);
    provider.invalidate();
    await provider.token();
    expect(provider.minted).toBe(2);
  });
});
