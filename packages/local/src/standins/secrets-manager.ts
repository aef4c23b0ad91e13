// A stand-in for AWS Secrets Manager on its real wire protocol (AWS JSON 1.1, `X-Amz-Target:
// secretsmanager.<Operation>`, SigV4-signed): DescribeSecret, GetSecretValue, CreateSecret and
// PutSecretValue, so the real @aws-sdk/client-secrets-manager works against it with an endpoint override.
// Secrets are plaintext strings with versions (AWSCURRENT/AWSPREVIOUS) and may be marked for deletion.
// It is not Secrets Manager: no IAM policies, no KMS, no rotation, no binary secrets. It never records
// secret values in `requests`.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from './sigv4.ts';

export const SECRETS_MANAGER_TARGET_PREFIX = 'secretsmanager.';

export interface SecretsManagerStandInOptions {
  /** Access key id → secret. Requests signed with other keys are refused as AWS does. */
  accessKeys: Record<string, string>;
  region?: string;
  account?: string;
  /** Secrets present at start: name → value. */
  secrets?: Record<string, string>;
  latencyMs?: number;
  now?: () => Date;
  port?: number;
}

export interface SecretsManagerStandInRequest {
  operation: string;
  secretId?: string;
  accessKeyId?: string;
  error?: string;
}

export interface SecretsManagerStandIn {
  url: string;
  /** Operations and secret ids asked for; never values. */
  requests: SecretsManagerStandInRequest[];
  /** Marks a secret as scheduled for deletion (DescribeSecret shows DeletedDate, GetSecretValue fails). */
  scheduleDeletion(name: string): void;
  failNext(count: number, errorType?: string, status?: number): void;
  close(): Promise<void>;
}

interface Version {
  id: string;
  value: string;
  stages: string[];
  created: Date;
}

interface StoredSecret {
  name: string;
  arn: string;
  created: Date;
  changed: Date;
  deleted?: Date;
  versions: Version[];
}

const epochSeconds = (date: Date) => date.getTime() / 1000;

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

export async function startSecretsManagerStandIn(
  options: SecretsManagerStandInOptions,
): Promise<SecretsManagerStandIn> {
  const now = options.now ?? (() => new Date());
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '123456789012';
  const secrets = new Map<string, StoredSecret>();
  const requests: SecretsManagerStandInRequest[] = [];
  const failures: Array<{ errorType: string; status: number }> = [];

  const addVersion = (secret: StoredSecret, value: string, versionId?: string): Version => {
    const existing = versionId ? secret.versions.find((version) => version.id === versionId) : undefined;
    // The same ClientRequestToken again is an idempotent repeat, as in AWS.
    if (existing) return existing;
    for (const version of secret.versions) {
      version.stages = version.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : [];
    }
    const version: Version = { id: versionId ?? randomUUID(), value, stages: ['AWSCURRENT'], created: now() };
    secret.versions = [...secret.versions.filter((v) => v.stages.length > 0), version];
    secret.changed = version.created;
    return version;
  };
  const create = (
    name: string,
    value: string,
    versionId?: string,
  ): { secret: StoredSecret; version: Version } => {
    const created = now();
    const secret: StoredSecret = {
      name,
      arn: `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${randomBytes(3).toString('hex')}`,
      created,
      changed: created,
      versions: [],
    };
    secrets.set(name, secret);
    return { secret, version: addVersion(secret, value, versionId) };
  };
  for (const [name, value] of Object.entries(options.secrets ?? {})) create(name, value);

  const find = (secretId: string): StoredSecret | undefined =>
    secrets.get(secretId) ?? [...secrets.values()].find((secret) => secret.arn === secretId);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(SECRETS_MANAGER_TARGET_PREFIX)
      ? target.slice(SECRETS_MANAGER_TARGET_PREFIX.length)
      : target;
    const record: SecretsManagerStandInRequest = { operation };
    requests.push(record);
    const fail = (status: number, errorType: string, message: string) => {
      record.error = errorType;
      send(response, status, { __type: errorType, message });
    };
    if (request.method !== 'POST')
      return fail(405, 'UnknownOperationException', 'Secrets Manager accepts POST only.');
    const auth = await verifySigV4(request, body, 'secretsmanager', (id) => options.accessKeys[id]);
    if (!auth.ok) return fail(auth.status === 403 ? 400 : auth.status, auth.errorType, auth.message);
    record.accessKeyId = auth.accessKeyId;
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail(400, 'SerializationException', 'The request body is not JSON.');
    }
    const secretId =
      typeof input.SecretId === 'string'
        ? input.SecretId
        : typeof input.Name === 'string'
          ? input.Name
          : undefined;
    if (secretId) record.secretId = secretId;
    const failure = failures.shift();
    if (failure)
      return fail(
        failure.status,
        failure.errorType,
        `${failure.errorType} injected by the Secrets Manager stand-in`,
      );
    if (!secretId) return fail(400, 'InvalidParameterException', `${operation} needs SecretId (or Name).`);
    const secret = find(secretId);
    const notFound = () =>
      fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const requestToken = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;

    switch (operation) {
      case 'DescribeSecret': {
        if (!secret) return notFound();
        const current = secret.versions;
        return send(response, 200, {
          ARN: secret.arn,
          Name: secret.name,
          CreatedDate: epochSeconds(secret.created),
          LastChangedDate: epochSeconds(secret.changed),
          VersionIdsToStages: Object.fromEntries(current.map((version) => [version.id, version.stages])),
          ...(secret.deleted ? { DeletedDate: epochSeconds(secret.deleted) } : {}),
        });
      }
      case 'GetSecretValue': {
        if (!secret) return notFound();
        if (secret.deleted) {
          return fail(
            400,
            'InvalidRequestException',
            "You can't perform this operation on the secret because it was marked for deletion.",
          );
        }
        const stage = typeof input.VersionStage === 'string' ? input.VersionStage : 'AWSCURRENT';
        const version =
          typeof input.VersionId === 'string'
            ? secret.versions.find((v) => v.id === input.VersionId)
            : secret.versions.find((v) => v.stages.includes(stage));
        if (!version) return notFound();
        return send(response, 200, {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          SecretString: version.value,
          VersionStages: version.stages,
          CreatedDate: epochSeconds(version.created),
        });
      }
      case 'CreateSecret': {
        if (typeof input.SecretString !== 'string')
          return fail(400, 'InvalidParameterException', 'CreateSecret needs SecretString.');
        if (secret)
          return fail(
            400,
            'ResourceExistsException',
            `The operation failed because the secret ${secretId} already exists.`,
          );
        const created = create(secretId, input.SecretString, requestToken);
        return send(response, 200, {
          ARN: created.secret.arn,
          Name: created.secret.name,
          VersionId: created.version.id,
        });
      }
      case 'PutSecretValue': {
        if (!secret) return notFound();
        if (typeof input.SecretString !== 'string')
          return fail(400, 'InvalidParameterException', 'PutSecretValue needs SecretString.');
        if (secret.deleted) {
          return fail(
            400,
            'InvalidRequestException',
            "You can't perform this operation on the secret because it was marked for deletion.",
          );
        }
        const version = addVersion(secret, input.SecretString, requestToken);
        return send(response, 200, {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          VersionStages: version.stages,
        });
      }
      default:
        return fail(
          400,
          'UnknownOperationException',
          `The Secrets Manager stand-in does not serve ${target || 'requests without X-Amz-Target'}.`,
        );
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(response, 500, { __type: 'InternalServiceError', message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    scheduleDeletion(name) {
      const secret = find(name);
      if (!secret) throw new Error(`The Secrets Manager stand-in has no secret ${name}.`);
      secret.deleted = now();
    },
    failNext(count, errorType = 'InternalServiceError', status = 500) {
      for (let i = 0; i < count; i++) failures.push({ errorType, status });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
