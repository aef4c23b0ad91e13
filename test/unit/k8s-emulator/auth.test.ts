import { describe, expect, it } from 'vitest';
import { Authenticator, EKS_TOKEN_PREFIX, createEksToken } from '@hybrid-runner/k8s-emulator';

const credentials = {
  accessKeyId: 'ASIAEMULATED0001',
  secretAccessKey: 'emulated-secret-key',
  sessionToken: 'emulated-session-token',
  username: 'runner-lambda',
  groups: ['hybrid-runner'],
};
const eks = { mode: 'eks' as const, region: 'eu-west-1', clusterName: 'ingestion', credentials };
const signedAt = new Date('2026-03-01T12:00:00Z');
const at = (ms: number) => () => new Date(signedAt.getTime() + ms);

function tokenUrl(token: string): URL {
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString());
}

function tokenOf(url: URL): string {
  return EKS_TOKEN_PREFIX + Buffer.from(url.toString()).toString('base64url');
}

describe('EKS token verification (re-signing the presigned STS URL)', () => {
  it('mints tokens in the EKS format', async () => {
    const token = await createEksToken({ ...eks, signingDate: signedAt });
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token).not.toMatch(/=/);
    const url = tokenUrl(token);
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('emulated-session-token');
  });

  it('accepts a good token within 15 minutes and maps it to the configured user', async () => {
    const token = await createEksToken({ ...eks, signingDate: signedAt });
    const result = await new Authenticator(eks, at(14 * 60_000)).authenticate(`Bearer ${token}`);
    expect(result).toEqual({
      ok: true,
      user: { username: 'runner-lambda', groups: ['hybrid-runner', 'system:authenticated'] },
    });
  });

  it('rejects an expired token', async () => {
    const token = await createEksToken({ ...eks, signingDate: signedAt });
    expect(await new Authenticator(eks, at(15 * 60_000 + 1000)).authenticate(`Bearer ${token}`)).toEqual({
      ok: false,
      reason: 'token expired',
    });
  });

  it('rejects a token minted for another cluster', async () => {
    const token = await createEksToken({ ...eks, clusterName: 'other-cluster', signingDate: signedAt });
    const result = await new Authenticator(eks, at(1000)).authenticate(`Bearer ${token}`);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('signature mismatch') });
  });

  it('rejects tampered tokens: changed query, changed date, other secret key, missing session token', async () => {
    const authenticator = new Authenticator(eks, at(1000));
    const good = tokenUrl(await createEksToken({ ...eks, signingDate: signedAt }));
    const changedVersion = new URL(good);
    changedVersion.searchParams.set('Version', '2011-06-16');
    expect(await authenticator.authenticate(`Bearer ${tokenOf(changedVersion)}`)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature mismatch'),
    });
    const changedDate = new URL(good);
    changedDate.searchParams.set('X-Amz-Date', '20260301T120001Z');
    expect(await authenticator.authenticate(`Bearer ${tokenOf(changedDate)}`)).toMatchObject({ ok: false });
    const otherSecret = await createEksToken({
      ...eks,
      credentials: { ...credentials, secretAccessKey: 'wrong' },
      signingDate: signedAt,
    });
    expect(await authenticator.authenticate(`Bearer ${otherSecret}`)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature mismatch'),
    });
    const noSessionToken = await createEksToken({
      ...eks,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      signingDate: signedAt,
    });
    expect(await authenticator.authenticate(`Bearer ${noSessionToken}`)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('session token'),
    });
  });

  it('rejects unknown keys, the wrong region and things that are not EKS tokens', async () => {
    const authenticator = new Authenticator(eks, at(1000));
    const unknownKey = await createEksToken({
      ...eks,
      credentials: { ...credentials, accessKeyId: 'ASIAUNKNOWN' },
      signingDate: signedAt,
    });
    expect(await authenticator.authenticate(`Bearer ${unknownKey}`)).toEqual({
      ok: false,
      reason: 'unknown access key',
    });
    const otherRegion = await createEksToken({ ...eks, region: 'us-east-1', signingDate: signedAt });
    expect(await authenticator.authenticate(`Bearer ${otherRegion}`)).toMatchObject({ ok: false });
    expect(await authenticator.authenticate('Bearer abc')).toMatchObject({ ok: false });
    expect(await authenticator.authenticate(undefined)).toMatchObject({ ok: false });
    expect(
      await authenticator.authenticate(
        `Bearer ${EKS_TOKEN_PREFIX}${Buffer.from('https://evil.example/').toString('base64url')}`,
      ),
    ).toMatchObject({ ok: false });
  });
});

describe('static tokens', () => {
  it('maps known tokens to users and rejects others', async () => {
    const authenticator = new Authenticator({
      mode: 'static',
      tokens: { t1: { username: 'alice', groups: ['devs'] } },
    });
    expect(await authenticator.authenticate('Bearer t1')).toEqual({
      ok: true,
      user: { username: 'alice', groups: ['devs', 'system:authenticated'] },
    });
    expect(await authenticator.authenticate('Bearer t2')).toMatchObject({ ok: false });
    expect(await authenticator.authenticate('Bearer constructor')).toMatchObject({ ok: false });
  });
});
