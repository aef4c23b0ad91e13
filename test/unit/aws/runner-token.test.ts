// The $connect rule: token from Secrets Manager (cached), constant-time comparison, agent id check.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  bearerToken,
  connectAuthorizer,
  headerValue,
  jwksVerifier,
  secretsEqual,
  secretsManagerTokenProvider,
} from '@hybrid-runner/aws';

const secrets = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.runner-token.signature';

beforeEach(() => secrets.reset());

describe('secretsManagerTokenProvider', () => {
  it('reads the secret once and caches it, even for concurrent first calls', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `${TOKEN}\n` });
    const token = secretsManagerTokenProvider({ client, secretId: 'arn:aws:secretsmanager:x:1:secret:bot' });
    expect(await Promise.all([token(), token(), token()])).toEqual([TOKEN, TOKEN, TOKEN]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(
      'arn:aws:secretsmanager:x:1:secret:bot',
    );
  });

  it('does not cache a failure and says what to store', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({}).resolves({ SecretString: TOKEN });
    const token = secretsManagerTokenProvider({ client, secretId: 'bot' });
    await expect(token()).rejects.toThrow(/store the ingestion bot JWT/);
    expect(await token()).toBe(TOKEN);
  });

  it('re-reads after cacheMs', async () => {
    let now = 0;
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'a' }).resolves({ SecretString: 'b' });
    const token = secretsManagerTokenProvider({ client, secretId: 'bot', cacheMs: 1000, now: () => now });
    expect(await token()).toBe('a');
    now = 1001;
    expect(await token()).toBe('b');
  });

  it('keeps the token it read when a re-read is throttled, and reads again on the next call', async () => {
    let now = 0;
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
      $retryable: { throttling: true },
    });
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'a' })
      .rejectsOnce(throttled)
      .resolves({ SecretString: 'b' });
    const token = secretsManagerTokenProvider({ client, secretId: 'bot', cacheMs: 1000, now: () => now });
    expect(await token()).toBe('a');
    now = 1001;
    expect(await token()).toBe('a');
    expect(await token()).toBe('b');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('fails a re-read of a secret that is gone or denied rather than serving the old token', async () => {
    let now = 0;
    const denied = Object.assign(new Error('not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'a' }).rejects(denied);
    const token = secretsManagerTokenProvider({ client, secretId: 'bot', cacheMs: 1000, now: () => now });
    expect(await token()).toBe('a');
    now = 1001;
    await expect(token()).rejects.toThrow('not authorized');
  });
});

describe('header helpers', () => {
  it('finds headers case-insensitively and parses Bearer', () => {
    expect(headerValue({ AUTHORIZATION: 'Bearer x' }, 'authorization')).toBe('Bearer x');
    expect(headerValue(undefined, 'x')).toBeUndefined();
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
  it('compares secrets of any length', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });
});

describe('connectAuthorizer', () => {
  const authorizer = connectAuthorizer({ token: async () => TOKEN, agentId: 'aws-prod' });

  it('accepts the right token and agent id, headers in any case', async () => {
    expect(
      await authorizer.authorize({ authorization: `Bearer ${TOKEN}`, 'x-agent-id': 'aws-prod' }),
    ).toEqual({
      status: 200,
      agentId: 'aws-prod',
      token: 'current',
    });
    expect(
      await authorizer.authorize({ Authorization: `Bearer ${TOKEN}`, 'X-AGENT-ID': 'aws-prod' }),
    ).toMatchObject({
      status: 200,
    });
  });

  it('401 without a token or with a wrong one, never echoing it', async () => {
    expect(await authorizer.authorize({ 'x-agent-id': 'aws-prod' })).toMatchObject({ status: 401 });
    const wrong = await authorizer.authorize({
      authorization: 'Bearer not-the-token',
      'x-agent-id': 'aws-prod',
    });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong)).not.toContain('not-the-token');
    expect(JSON.stringify(wrong)).not.toContain(TOKEN);
  });

  it('403 for the right token and another (or no) agent id', async () => {
    expect(
      await authorizer.authorize({ authorization: `Bearer ${TOKEN}`, 'x-agent-id': 'other' }),
    ).toMatchObject({
      status: 403,
    });
    expect(await authorizer.authorize({ authorization: `Bearer ${TOKEN}` })).toMatchObject({ status: 403 });
  });

  it('401 when the optional JWT verification rejects the token', async () => {
    const strict = connectAuthorizer({
      token: async () => TOKEN,
      agentId: 'aws-prod',
      verifyJwt: async () => false,
    });
    expect(
      await strict.authorize({ authorization: `Bearer ${TOKEN}`, 'x-agent-id': 'aws-prod' }),
    ).toMatchObject({
      status: 401,
    });
  });
});

describe('jwksVerifier (jose, against a local JWKS endpoint)', () => {
  let server: Server;
  let jwksUrl: string;
  let signingKey: SigningKey;
  let otherKey: SigningKey;
  let jwksRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'collate-1', alg: 'RS256', use: 'sig' };
    server = createServer((_request, response) => {
      jwksRequests++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/system/config/jwks`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const sign = (key: SigningKey, claims: { issuer?: string; expiresIn?: string } = {}) => {
    const jwt = new SignJWT({ sub: 'ingestion-bot', isBot: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'collate-1' })
      .setIssuedAt()
      .setIssuer(claims.issuer ?? 'open-metadata.org');
    if (claims.expiresIn) jwt.setExpirationTime(claims.expiresIn);
    return jwt.sign(key);
  };

  it('accepts a token signed by the server key with the expected issuer, fetching the keys once', async () => {
    const verify = jwksVerifier({ jwksUrl, issuer: 'open-metadata.org' });
    expect(await verify(await sign(signingKey))).toBe(true);
    expect(await verify(await sign(signingKey))).toBe(true);
    expect(jwksRequests).toBe(1);
  });

  it('rejects another key, another issuer, an expired token and garbage', async () => {
    const verify = jwksVerifier({ jwksUrl, issuer: 'open-metadata.org' });
    expect(await verify(await sign(otherKey))).toBe(false);
    expect(await verify(await sign(signingKey, { issuer: 'someone-else' }))).toBe(false);
    expect(await verify(await sign(signingKey, { expiresIn: '-1m' }))).toBe(false);
    expect(await verify('not.a.jwt')).toBe(false);
  });
});
