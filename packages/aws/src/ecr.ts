// Core's RegistryAuth on ECR GetAuthorizationToken. The identity is either the access keys Collate
// provides, read as JSON from a Secrets Manager secret the stack creates and the operator fills (never an
// environment variable), or the function's own role (for a registry in the same account). Tokens are per
// region, so there is one ECR client per region. Errors name the secret and the key that is wrong, never
// a value.
import { createHash } from 'node:crypto';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RegistryLoginError, decodeAuthorizationToken, parseRegistryHost } from '@hybrid-runner/core';
import type { RegistryAuth, RegistryCredentials } from '@hybrid-runner/core';
import type { AwsCredentialIdentity } from '@smithy/types';

/** The keys as the operator stores them. The chart's secretRef names (AWS_ACCESS_KEY_ID, …) work too. */
export interface EcrAccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Collate's account, informational (the registry host carries the account that matters). */
  account?: string;
}

const KEY_NAMES = {
  accessKeyId: ['accessKeyId', 'AWS_ACCESS_KEY_ID'],
  secretAccessKey: ['secretAccessKey', 'AWS_SECRET_ACCESS_KEY'],
  sessionToken: ['sessionToken', 'AWS_SESSION_TOKEN'],
  account: ['account', 'AWS_ACCOUNT'],
} as const;

/** What the operator should put into the secret (shown in errors; placeholders only). */
export const ECR_KEYS_SECRET_EXAMPLE =
  '{"accessKeyId":"AKIA…","secretAccessKey":"…","account":"118146679784"}';

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/**
 * Parses the secret's JSON. Messages name the secret and the key; they never echo the text (a JSON parse
 * error message would quote it, so it is not passed on as the cause either).
 */
export function parseEcrKeysSecret(secretString: string | undefined, secretId: string): EcrAccessKeys {
  const fill = `put the keys Collate provided into it as JSON, e.g. aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '${ECR_KEYS_SECRET_EXAMPLE}'`;
  if (!secretString?.trim()) throw new RegistryLoginError(`Secret ${secretId} is empty: ${fill}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new RegistryLoginError(`Secret ${secretId} is not JSON: ${fill}.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RegistryLoginError(`Secret ${secretId} is not a JSON object: ${fill}.`);
  }
  const record = parsed as Record<string, unknown>;
  const pick = (field: keyof typeof KEY_NAMES): { key: string; value: string | undefined } => {
    for (const key of KEY_NAMES[field]) {
      const value = record[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') {
        throw new RegistryLoginError(`Secret ${secretId}: key "${key}" must be a string: ${fill}.`);
      }
      return { key, value: value.trim() };
    }
    return { key: KEY_NAMES[field][0], value: undefined };
  };
  const accessKeyId = pick('accessKeyId');
  const secretAccessKey = pick('secretAccessKey');
  if (!accessKeyId.value) {
    throw new RegistryLoginError(`Secret ${secretId} has no value under key "${accessKeyId.key}": ${fill}.`);
  }
  if (!ACCESS_KEY_ID.test(accessKeyId.value)) {
    throw new RegistryLoginError(
      `Secret ${secretId}: key "${accessKeyId.key}" does not hold an AWS access key id (16-128 upper-case letters and digits, like AKIA…): ${fill}.`,
    );
  }
  if (!secretAccessKey.value) {
    throw new RegistryLoginError(
      `Secret ${secretId} has no value under key "${secretAccessKey.key}": ${fill}.`,
    );
  }
  const sessionToken = pick('sessionToken').value;
  const account = pick('account').value;
  return {
    accessKeyId: accessKeyId.value,
    secretAccessKey: secretAccessKey.value,
    ...(sessionToken ? { sessionToken } : {}),
    ...(account ? { account } : {}),
  };
}

export interface EcrRetryOptions {
  /** Total attempts per login (first try included). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface EcrRegistryAuthOptions {
  /** ARN or name of the Secrets Manager secret with Collate's keys; absent: the function's own role. */
  keysSecretId?: string;
  /** Without a keys secret: these credentials instead of the SDK's provider chain (a CLI profile, tests). */
  credentials?: AwsCredentialIdentity;
  /** Reads the keys secret; defaults to a client in the function's region. */
  secretsManager?: SecretsManagerClient;
  /** Builds the ECR client of a region (tests inject mocks; the local stage points at the stand-in). */
  ecrClientFor?: (region: string, credentials: AwsCredentialIdentity | undefined) => ECRClient;
  /** ECR endpoint override for every region (the local ECR stand-in). */
  ecrEndpoint?: string;
  /** How long keys read from the secret are reused (default 60 s: rotated keys are picked up quickly). */
  keysCacheMs?: number;
  retry?: EcrRetryOptions;
  now?: () => number;
  /**
   * Called with every secret value as soon as it is loaded (the keys read from the secret, the
   * authorization token and the registry password), so the caller can register it for log redaction.
   */
  onSecret?: (value: string) => void;
}

// Error names from ECR and the AWS query/json protocols, grouped by what we do about them.
const RETRYABLE = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
]);
const UNKNOWN_KEY = new Set(['UnrecognizedClientException', 'InvalidClientTokenId']);
const BAD_SECRET = new Set(['InvalidSignatureException', 'SignatureDoesNotMatch']);
const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied']);

function errorName(error: unknown): string {
  if (!error || typeof error !== 'object') return 'UnknownError';
  const record = error as { name?: unknown; code?: unknown };
  if (typeof record.code === 'string' && /^E[A-Z]+$/.test(record.code)) return record.code;
  return typeof record.name === 'string' ? record.name : 'UnknownError';
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export function isRetryableEcrError(error: unknown): boolean {
  const status = httpStatus(error);
  return RETRYABLE.has(errorName(error)) || status === 429 || (status !== undefined && status >= 500);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates the RegistryAuth. Nothing is read or called until the first login. */
export function createEcrRegistryAuth(options: EcrRegistryAuthOptions = {}): RegistryAuth {
  const now = options.now ?? Date.now;
  const keysCacheMs = options.keysCacheMs ?? 60_000;
  const attempts = Math.max(1, options.retry?.attempts ?? 5);
  const baseDelayMs = options.retry?.baseDelayMs ?? 250;
  const maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
  const sleep = options.retry?.sleep ?? defaultSleep;
  const random = options.retry?.random ?? Math.random;
  const clients = new Map<string, { client: ECRClient; fingerprint: string }>();
  let keys: { value: Promise<EcrAccessKeys>; readAt: number } | undefined;
  let secretsManager = options.secretsManager;

  const identity = options.keysSecretId
    ? `the keys in secret ${options.keysSecretId} (keys "accessKeyId"/"secretAccessKey")`
    : "the default AWS credentials (the function's IAM role; locally, your AWS profile or environment)";

  const readKeys = (secretId: string): Promise<EcrAccessKeys> => {
    if (keys && now() - keys.readAt < keysCacheMs) return keys.value;
    secretsManager ??= new SecretsManagerClient({});
    const value = secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })).then(
      (result) => {
        const parsed = parseEcrKeysSecret(result.SecretString, secretId);
        for (const secret of [parsed.accessKeyId, parsed.secretAccessKey, parsed.sessionToken]) {
          if (secret) options.onSecret?.(secret);
        }
        return parsed;
      },
      (error: unknown) => {
        throw secretReadError(error, secretId);
      },
    );
    keys = { value, readAt: now() };
    value.catch(() => {
      keys = undefined;
    });
    return value;
  };

  const clientFor = (region: string, credentials: AwsCredentialIdentity | undefined): ECRClient => {
    // Keys may be rotated between runs of a warm container: a new fingerprint builds a new client.
    const fingerprint = credentials
      ? createHash('sha256')
          .update(
            `${credentials.accessKeyId}\0${credentials.secretAccessKey}\0${credentials.sessionToken ?? ''}`,
          )
          .digest('hex')
      : 'role';
    const cached = clients.get(region);
    if (cached?.fingerprint === fingerprint) return cached.client;
    cached?.client.destroy();
    const client = options.ecrClientFor
      ? options.ecrClientFor(region, credentials)
      : new ECRClient({
          region,
          // Retries are ours (below), so throttling and 5xx are retried the same way everywhere.
          maxAttempts: 1,
          ...(credentials ? { credentials } : {}),
          ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}),
        });
    clients.set(region, { client, fingerprint });
    return client;
  };

  return {
    async login(registryHost: string): Promise<RegistryCredentials> {
      const registry = parseRegistryHost(registryHost);
      let credentials: AwsCredentialIdentity | undefined = options.credentials;
      if (options.keysSecretId) {
        const read = await readKeys(options.keysSecretId);
        credentials = {
          accessKeyId: read.accessKeyId,
          secretAccessKey: read.secretAccessKey,
          ...(read.sessionToken ? { sessionToken: read.sessionToken } : {}),
        };
      }
      const client = clientFor(registry.region, credentials);
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await client.send(new GetAuthorizationTokenCommand({}));
          const data = result.authorizationData?.[0];
          if (data?.authorizationToken) options.onSecret?.(data.authorizationToken);
          const login = toRegistryCredentials(data, registry.host, registry.region);
          options.onSecret?.(login.password);
          return login;
        } catch (error) {
          if (error instanceof RegistryLoginError) throw error;
          if (isRetryableEcrError(error) && attempt < attempts) {
            // Exponential backoff with full jitter, so many runners do not retry in step.
            await sleep(Math.round(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))));
            continue;
          }
          throw loginError(error, registry.region, identity, options.keysSecretId, attempt);
        }
      }
    },
  };
}

function toRegistryCredentials(
  data: { authorizationToken?: string; expiresAt?: Date; proxyEndpoint?: string } | undefined,
  registryHost: string,
  region: string,
): RegistryCredentials {
  if (!data?.authorizationToken || !data.expiresAt) {
    throw new RegistryLoginError(
      `ECR in ${region} answered without an authorization token; retry the refresh.`,
    );
  }
  const { username, password } = decodeAuthorizationToken(data.authorizationToken);
  // The token works for every registry the identity may pull from; the endpoint is the one asked for.
  return {
    username,
    password,
    proxyEndpoint: `https://${registryHost}`,
    expiresAt: new Date(data.expiresAt),
  };
}

function secretReadError(error: unknown, secretId: string): RegistryLoginError {
  const name = errorName(error);
  if (error instanceof RegistryLoginError) return error;
  if (name === 'ResourceNotFoundException') {
    return new RegistryLoginError(
      `Secret ${secretId} (the ECR keys secret) does not exist or has no value yet: create it and put the keys Collate provided into it as ${ECR_KEYS_SECRET_EXAMPLE}.`,
      { cause: error },
    );
  }
  if (DENIED.has(name)) {
    return new RegistryLoginError(
      `The function may not read secret ${secretId}: allow secretsmanager:GetSecretValue on it (and kms:Decrypt if it uses a customer key).`,
      { cause: error },
    );
  }
  return new RegistryLoginError(
    `Could not read secret ${secretId} (${name}); the refresh will retry on its next run.`,
    {
      cause: error,
    },
  );
}

function loginError(
  error: unknown,
  region: string,
  identity: string,
  secretId: string | undefined,
  attempts: number,
): RegistryLoginError {
  const name = errorName(error);
  const where = secretId ? `secret ${secretId}` : 'the function';
  let message: string;
  if (UNKNOWN_KEY.has(name)) {
    message = secretId
      ? `ECR in ${region} does not recognise the access key id under key "accessKeyId" of secret ${secretId} (${name}): the key is wrong, deactivated or deleted; put the current keys from Collate into the secret.`
      : `ECR in ${region} does not recognise the default AWS credentials (${name}): check the function's IAM role, or locally your AWS profile or environment (hybrid-runner ecr refresh).`;
  } else if (BAD_SECRET.has(name)) {
    message = `ECR in ${region} rejected the signature made with the key under "secretAccessKey" of ${where} (${name}): the secret access key does not belong to the access key id; put the matching pair from Collate into the secret.`;
  } else if (EXPIRED.has(name)) {
    message = secretId
      ? `ECR in ${region} says the session token under key "sessionToken" of secret ${secretId} expired (${name}): store long-lived keys, or fresh ones.`
      : `ECR in ${region} says the default AWS credentials expired (${name}); the next run gets fresh role credentials (locally: renew your AWS session).`;
  } else if (DENIED.has(name)) {
    message = `${identity} may not call ecr:GetAuthorizationToken in ${region} (${name}): ask Collate to check the keys' permissions, or allow it in the function's role.`;
  } else if (isRetryableEcrError(error)) {
    message = `ECR in ${region} kept failing (${name}) after ${attempts} attempts; the refresh will try again on its next run.`;
  } else {
    message = `ECR login in ${region} with ${identity} failed (${name}).`;
  }
  return new RegistryLoginError(message, { cause: error });
}
