import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ECRClient, ECRServiceException, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createEcrRegistryAuth, isRetryableEcrError, parseEcrKeysSecret } from '@hybrid-runner/aws';
import { DEFAULT_REGISTRY_HOST, RegistryLoginError } from '@hybrid-runner/core';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:hybrid-runner/ecr-keys-AbCdEf';
const ACCESS_KEY_ID = 'AKIAEXAMPLEKEY12345X';
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYsecretKEY';
const PASSWORD = 'eyJwYXlsb2FkIjoiZWNyLXBhc3N3b3JkIn0';
const TOKEN = Buffer.from(`AWS:${PASSWORD}`).toString('base64');
const EXPIRES = new Date('2026-03-01T22:00:00Z');

const ecrMock = mockClient(ECRClient);
const smMock = mockClient(SecretsManagerClient);

afterEach(() => {
  ecrMock.reset();
  smMock.reset();
});

function awsError(name: string, status: number, fault: 'client' | 'server' = 'client') {
  return new ECRServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} from ECR`,
  });
}

function keysSecret(value: Record<string, unknown> | string) {
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: typeof value === 'string' ? value : JSON.stringify(value),
  });
}

const noSleep = { sleep: async () => undefined, random: () => 0.5 };

function auth(extra: Parameters<typeof createEcrRegistryAuth>[0] = {}) {
  const regions: string[] = [];
  const credentialsSeen: unknown[] = [];
  const registryAuth = createEcrRegistryAuth({
    keysSecretId: SECRET_ARN,
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    ecrClientFor: (region, credentials) => {
      regions.push(region);
      credentialsSeen.push(credentials);
      return new ECRClient({ region });
    },
    retry: noSleep,
    ...extra,
  });
  return { registryAuth, regions, credentialsSeen };
}

async function loginError(promise: Promise<unknown>): Promise<RegistryLoginError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RegistryLoginError);
  const message = (error as Error).message;
  for (const value of [ACCESS_KEY_ID, SECRET_ACCESS_KEY, PASSWORD, TOKEN])
    expect(message).not.toContain(value);
  return error as RegistryLoginError;
}

describe('createEcrRegistryAuth', () => {
  it('logs in with the keys from the secret in the region of the registry host and decodes the token', async () => {
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, account: '118146679784' });
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        { authorizationToken: TOKEN, expiresAt: EXPIRES, proxyEndpoint: `https://${DEFAULT_REGISTRY_HOST}` },
      ],
    });
    const { registryAuth, regions, credentialsSeen } = auth();
    const credentials = await registryAuth.login(DEFAULT_REGISTRY_HOST);
    expect(credentials).toEqual({
      username: 'AWS',
      password: PASSWORD,
      proxyEndpoint: `https://${DEFAULT_REGISTRY_HOST}`,
      expiresAt: EXPIRES,
    });
    expect(regions).toEqual(['eu-west-1']);
    expect(credentialsSeen[0]).toEqual({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
  });

  it('hands every secret value it loads to onSecret, before the login returns', async () => {
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: TOKEN, expiresAt: EXPIRES }],
    });
    const secrets: string[] = [];
    const { registryAuth } = auth({ onSecret: (value) => secrets.push(value) });
    await registryAuth.login(DEFAULT_REGISTRY_HOST);
    expect(secrets.sort()).toEqual([ACCESS_KEY_ID, SECRET_ACCESS_KEY, TOKEN, PASSWORD].sort());
  });

  it('uses one client per region and reads the secret once while cached', async () => {
    keysSecret({ AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: TOKEN, expiresAt: EXPIRES }],
    });
    const { registryAuth, regions } = auth();
    await registryAuth.login(DEFAULT_REGISTRY_HOST);
    await registryAuth.login('118146679784.dkr.ecr.us-east-1.amazonaws.com');
    await registryAuth.login(DEFAULT_REGISTRY_HOST);
    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('rebuilds the client when the keys in the secret were rotated', async () => {
    let time = 0;
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: TOKEN, expiresAt: EXPIRES }],
    });
    const { registryAuth, regions } = auth({ now: () => time, keysCacheMs: 1000 });
    await registryAuth.login(DEFAULT_REGISTRY_HOST);
    keysSecret({ accessKeyId: 'AKIAROTATEDKEY000001', secretAccessKey: 'rotated' });
    time = 5000;
    await registryAuth.login(DEFAULT_REGISTRY_HOST);
    expect(regions).toEqual(['eu-west-1', 'eu-west-1']);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('uses the function role when no secret is configured', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: TOKEN, expiresAt: EXPIRES }],
    });
    const { registryAuth, credentialsSeen } = auth({ keysSecretId: undefined });
    await registryAuth.login('123456789012.dkr.ecr.eu-central-1.amazonaws.com');
    expect(credentialsSeen).toEqual([undefined]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('retries throttling and 5xx with backoff, then succeeds', async () => {
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
    ecrMock
      .on(GetAuthorizationTokenCommand)
      .rejectsOnce(awsError('ThrottlingException', 400))
      .rejectsOnce(awsError('ServerException', 500, 'server'))
      .resolves({ authorizationData: [{ authorizationToken: TOKEN, expiresAt: EXPIRES }] });
    const delays: number[] = [];
    const { registryAuth } = auth({
      retry: { sleep: async (ms) => void delays.push(ms), random: () => 1, baseDelayMs: 100 },
    });
    await expect(registryAuth.login(DEFAULT_REGISTRY_HOST)).resolves.toMatchObject({ password: PASSWORD });
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it('gives up on persistent throttling with a clear error', async () => {
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
    ecrMock.on(GetAuthorizationTokenCommand).rejects(awsError('ThrottlingException', 400));
    const { registryAuth } = auth({ retry: { ...noSleep, attempts: 3 } });
    const error = await loginError(registryAuth.login(DEFAULT_REGISTRY_HOST));
    expect(error.message).toMatch(/kept failing \(ThrottlingException\) after 3 attempts/);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(3);
  });

  it.each([
    [
      'UnrecognizedClientException',
      /does not recognise the access key id under key "accessKeyId" of secret arn:aws/,
    ],
    ['InvalidSignatureException', /key under "secretAccessKey" of secret arn:aws.*matching pair/],
    ['ExpiredTokenException', /"sessionToken" of secret arn:aws.*expired/],
    ['AccessDeniedException', /may not call ecr:GetAuthorizationToken in eu-west-1/],
  ])('turns %s into an error naming the secret and key, without retrying', async (name, message) => {
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
    ecrMock.on(GetAuthorizationTokenCommand).rejects(awsError(name, 400));
    const { registryAuth } = auth();
    const error = await loginError(registryAuth.login(DEFAULT_REGISTRY_HOST));
    expect(error.message).toMatch(message);
    expect(error.message).toContain(SECRET_ARN);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  });

  it('reports a missing or unreadable secret and does not cache the failure', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const { registryAuth } = auth();
    expect((await loginError(registryAuth.login(DEFAULT_REGISTRY_HOST))).message).toMatch(
      /Secret arn:aws.* does not exist or has no value yet/,
    );
    expect((await loginError(registryAuth.login(DEFAULT_REGISTRY_HOST))).message).toMatch(
      /may not read secret arn:aws.*secretsmanager:GetSecretValue/,
    );
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  });

  it('refuses an answer without a token or with a malformed one', async () => {
    keysSecret({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
    ecrMock
      .on(GetAuthorizationTokenCommand)
      .resolvesOnce({ authorizationData: [] })
      .resolvesOnce({ authorizationData: [{ authorizationToken: '%%%', expiresAt: EXPIRES }] });
    const { registryAuth } = auth();
    expect((await loginError(registryAuth.login(DEFAULT_REGISTRY_HOST))).message).toMatch(
      /without an authorization token/,
    );
    expect((await loginError(registryAuth.login(DEFAULT_REGISTRY_HOST))).message).toMatch(/not base64/);
  });

  it('refuses a registry host that is not ECR before any call', async () => {
    const { registryAuth } = auth();
    await expect(registryAuth.login('ghcr.io')).rejects.toThrow(/not an ECR registry host/);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('parseEcrKeysSecret', () => {
  it.each([
    ['', /is empty/],
    [`{"accessKeyId": "${ACCESS_KEY_ID}", "secretAccessKey": "${SECRET_ACCESS_KEY}"`, /is not JSON/],
    ['[1,2]', /not a JSON object/],
    [
      JSON.stringify({ accessKeyId: '', secretAccessKey: SECRET_ACCESS_KEY }),
      /no value under key "accessKeyId"/,
    ],
    [JSON.stringify({ accessKeyId: ACCESS_KEY_ID }), /no value under key "secretAccessKey"/],
    [
      JSON.stringify({ accessKeyId: 'my key', secretAccessKey: SECRET_ACCESS_KEY }),
      /"accessKeyId" does not hold an AWS access key id/,
    ],
    [
      JSON.stringify({ accessKeyId: 42, secretAccessKey: SECRET_ACCESS_KEY }),
      /"accessKeyId" must be a string/,
    ],
  ])('explains what is wrong with %j without echoing it', (text, message) => {
    let error: unknown;
    try {
      parseEcrKeysSecret(text, SECRET_ARN);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RegistryLoginError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(`--secret-id ${SECRET_ARN}`);
    expect((error as Error).message).not.toContain(SECRET_ACCESS_KEY);
    expect((error as Error).cause).toBeUndefined();
  });

  it('accepts the chart names and an optional session token', () => {
    expect(
      parseEcrKeysSecret(
        JSON.stringify({
          AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: 'x',
          AWS_ACCOUNT: '118146679784',
          sessionToken: 't',
        }),
        SECRET_ARN,
      ),
    ).toEqual({
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: 'x',
      sessionToken: 't',
      account: '118146679784',
    });
  });

  it('classifies retryable faults', () => {
    expect(isRetryableEcrError(awsError('ThrottlingException', 400))).toBe(true);
    expect(isRetryableEcrError(awsError('Whatever', 503, 'server'))).toBe(true);
    expect(isRetryableEcrError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableEcrError(awsError('UnrecognizedClientException', 400))).toBe(false);
  });
});
