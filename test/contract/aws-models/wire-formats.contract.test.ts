// The AWS wire formats of our adapters and of our wire stand-ins, checked against AWS's own service models
// (botocore's, from Debian's python3-botocore: see test/support/aws-models/service-models.ts). Requests
// are those the unchanged handlers send in the local stage, recorded over the wire; answers are those of
// dynalite, the Secrets Manager / ECR / EKS stand-ins and the local API Gateway. The models prove shapes
// (members, types, enums, error types and statuses), not behaviour.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WebSocket } from 'ws';
import { startLocalApiGateway } from '@hybrid-runner/local';
import { runSecretsCommand } from '../../../packages/cli/src/commands/secrets.ts';
import {
  SecretsManagerSecretStore,
  clearEksClusterInfoCache,
  createEcrRegistryAuth,
  decodeEksToken,
  describeEksCluster,
  secretsManagerTokenProvider,
} from '@hybrid-runner/aws';
import {
  checkJsonExchange,
  checkPresignedQueryUrl,
  checkRestJsonExchange,
  type Exchange,
  type ExchangeCheck,
} from '../../support/aws-models/wire-validator.ts';
import { DEBIAN_BOTOCORE_DATA, loadServiceModel } from '../../support/aws-models/service-models.ts';
import { recordLocalStageAwsCalls, type RecordedAwsCalls } from '../../support/local-stage-aws-calls.ts';
import { startWireTap, type WireExchange, type WireTap } from '../../support/wire-tap.ts';
import { startEcrStandIn } from '../../../packages/local/src/standins/ecr.ts';
import { startEksStandIn } from '../../../packages/local/src/standins/eks.ts';
import { startSecretsManagerStandIn } from '../../../packages/local/src/standins/secrets-manager.ts';

vi.mock('../../../functions/bridge/connect.ts', async (original) =>
  (await import('../../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/connect',
  ),
);
vi.mock('../../../functions/bridge/disconnect.ts', async (original) =>
  (await import('../../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/disconnect',
  ),
);
vi.mock('../../../functions/bridge/message.ts', async (original) =>
  (await import('../../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/message',
  ),
);
vi.mock('../../../functions/schedule/heartbeat.ts', async (original) =>
  (await import('../../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/schedule/heartbeat',
  ),
);
vi.mock('../../../functions/schedule/ecr-refresh.ts', async (original) =>
  (await import('../../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/schedule/ecr-refresh',
  ),
);

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * Members AWS added after botocore 1.29 (Debian bookworm's models, December 2022), each with its source,
 * so that an unknown member still fails unless it is one of these.
 */
const NEWER_MEMBERS: Record<string, string> = {
  'Cluster.accessConfig':
    'EKS access entries (December 2023): DescribeCluster returns accessConfig.authenticationMode (EKS API reference, Cluster).',
};

/** dynalite's answers are not ours to check (it is the implementation written elsewhere); our requests to it are. */
function check(service: string, exchange: Exchange, basePath = ''): ExchangeCheck {
  const model = loadServiceModel(service);
  const options = { newerMembers: NEWER_MEMBERS, answer: service !== 'dynamodb' };
  return model.metadata.protocol === 'json'
    ? checkJsonExchange(model, exchange, options)
    : checkRestJsonExchange(model, exchange, { ...options, basePath });
}

function describeProblems(exchange: WireExchange, service: string, result: ExchangeCheck): string[] {
  return result.problems.map((problem) => `${exchange.sender} → ${service} ${result.operation}: ${problem}`);
}

/**
 * The AWS operations our adapters can send, read from their imports: each `<Operation>Command` of an AWS
 * SDK client, and lib-dynamodb's document commands as the DynamoDB operations they send.
 */
function adapterOperations(): string[] {
  const directory = join(ROOT, 'packages/aws/src');
  const files = readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  const documentCommands: Record<string, string> = {
    Put: 'PutItem',
    Get: 'GetItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
  };
  const operations = new Set<string>();
  for (const file of files) {
    const source = readFileSync(join(directory, file), 'utf8');
    for (const match of source.matchAll(/new (\w+)Command\(/g)) {
      operations.add(documentCommands[match[1]!] ?? match[1]!);
    }
  }
  return [...operations].sort();
}

/** Adapter operations whose wire format another suite checks against its model, and that suite. */
const CHECKED_IN_OWN_SUITE: Record<string, string> = {
  GetObject: 'test/contract/aws/s3-log-archive.s3rver.contract.test.ts',
  HeadObject: 'test/contract/aws/s3-log-archive.s3rver.contract.test.ts',
  Invoke: 'test/unit/aws/registry-refresh-starter.test.ts',
};

describe("AWS wire formats recorded from the local stage (dynalite, the AWS wire stand-ins, the local API Gateway) against botocore's models", () => {
  let recorded: RecordedAwsCalls;
  let aws: Array<{ exchange: WireExchange; service: string; result: ExchangeCheck }>;

  beforeAll(async () => {
    recorded = await recordLocalStageAwsCalls();
    aws = recorded.exchanges
      .map((exchange) => ({ exchange, service: recorded.serviceOfPort.get(exchange.port)! }))
      .filter(({ service }) => service !== 'kubernetes')
      .map(({ exchange, service }) => ({
        exchange,
        service,
        result: check(service, exchange, recorded.basePathOfPort.get(exchange.port)),
      }));
  }, 120_000);

  it('reads the models from the Debian package (or BOTOCORE_DATA_DIR), and fails without them', () => {
    expect(loadServiceModel('dynamodb').path).toMatch(/dynamodb\/2012-08-10\/service-2\.json/);
    if (!process.env.BOTOCORE_DATA_DIR)
      expect(loadServiceModel('sts').path.startsWith(DEBIAN_BOTOCORE_DATA)).toBe(true);
    const empty = mkdtempSync(join(tmpdir(), 'no-botocore-'));
    try {
      expect(() => loadServiceModel('dynamodb', { BOTOCORE_DATA_DIR: empty })).toThrow(
        /apt-get install -y python3-botocore/,
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  it('covers every operation the adapters can send, and answers with and without errors', () => {
    const sent = new Set(
      aws
        .filter(({ exchange }) => exchange.sender.startsWith('functions/'))
        .map(({ result }) => result.operation),
    );
    expect(adapterOperations()).toEqual([
      'DeleteItem',
      'DescribeCluster',
      'DescribeSecret',
      'GetAuthorizationToken',
      'GetItem',
      'GetObject',
      'GetSecretValue',
      'HeadObject',
      'Invoke',
      'PostToConnection',
      'PutItem',
      'Scan',
      'UpdateItem',
    ]);
    // S3 speaks rest-xml, which the validators here do not read: its exchanges are recorded against s3rver and
    // checked against the s3 model in their own suite (the tour reads no archived log: its pods still exist).
    // The heartbeat's Invoke of the registry refresh is replaced by an in-process run in the local stage; its
    // request is checked against the Lambda model in its own suite too.
    for (const suite of new Set(Object.values(CHECKED_IN_OWN_SUITE)))
      expect(existsSync(join(ROOT, suite)), suite).toBe(true);
    expect(
      adapterOperations().filter((operation) => !sent.has(operation) && !(operation in CHECKED_IN_OWN_SUITE)),
    ).toEqual([]);
    const errors = aws.map(({ service, result }) => `${service} ${result.error ?? 'ok'}`);
    expect(errors).toContain('secretsmanager ResourceNotFoundException');
    expect(errors).toContain('apigatewaymanagementapi GoneException');
  });

  it('every request the functions send and every answer the stand-ins give validate against the models', () => {
    expect(aws.length).toBeGreaterThan(30);
    expect(
      aws.flatMap(({ exchange, service, result }) => describeProblems(exchange, service, result)),
    ).toEqual([]);
  });

  /** A recorded exchange of `service` and `operation`, changed by `change` (a broken copy). */
  function brokenCopy(service: string, operation: string, change: (exchange: Exchange) => Exchange) {
    const found = aws.find(
      (entry) => entry.service === service && entry.result.operation === operation && !entry.result.error,
    );
    if (!found) throw new Error(`No recorded ${service} ${operation} to break.`);
    return check(service, change(found.exchange), recorded.basePathOfPort.get(found.exchange.port)).problems;
  }
  const answer = (exchange: Exchange, edit: (body: Record<string, unknown>) => void): Exchange => {
    const body = JSON.parse(exchange.responseBody.toString('utf8')) as Record<string, unknown>;
    edit(body);
    return { ...exchange, responseBody: Buffer.from(JSON.stringify(body)) };
  };
  const request = (exchange: Exchange, edit: (body: Record<string, unknown>) => void): Exchange => {
    const body = JSON.parse(exchange.requestBody.toString('utf8')) as Record<string, unknown>;
    edit(body);
    return { ...exchange, requestBody: Buffer.from(JSON.stringify(body)) };
  };

  it("rejects broken copies of the stand-ins' answers", () => {
    expect(
      brokenCopy('secretsmanager', 'GetSecretValue', (e) =>
        answer(e, (body) => (body.CreatedDate = new Date().toISOString())),
      ),
    ).toEqual([expect.stringMatching(/GetSecretValue output\.CreatedDate: expected epoch seconds/)]);
    expect(
      brokenCopy('ecr', 'GetAuthorizationToken', (e) =>
        answer(e, (body) => {
          const [data] = body.authorizationData as Array<Record<string, number>>;
          data!.expiresAt = data!.expiresAt! * 1000;
        }),
      ),
    ).toEqual([expect.stringMatching(/expiresAt: .* looks like milliseconds/)]);
    expect(
      brokenCopy('eks', 'DescribeCluster', (e) =>
        answer(e, (body) => {
          const cluster = body.cluster as Record<string, unknown>;
          cluster.status = 'RUNNING';
          cluster.certificateAuthority = { Data: 'Q0E=' };
        }),
      ),
    ).toEqual([
      expect.stringMatching(/cluster\.status: "RUNNING" is not one of CREATING, ACTIVE/),
      expect.stringMatching(/cluster\.certificateAuthority: unknown member Data/),
    ]);
    expect(
      brokenCopy('apigatewaymanagementapi', 'PostToConnection', (e) => ({
        ...e,
        status: 400,
        responseHeaders: { 'x-amzn-errortype': 'GoneException' },
      })),
    ).toEqual(['GoneException comes with HTTP 410 in the model, the answer had 400']);
    expect(
      brokenCopy('secretsmanager', 'DescribeSecret', (e) => ({
        ...e,
        status: 400,
        responseBody: Buffer.from('{"__type":"SecretMissingException","message":"no"}'),
      })),
    ).toEqual([
      'DescribeSecret does not declare the error SecretMissingException, and it is not a common AWS error',
    ]);
  });

  it('rejects broken copies of our requests', () => {
    expect(
      brokenCopy('dynamodb', 'PutItem', (e) =>
        request(e, (body) => ((body.Item as Record<string, unknown>).connectedAt = { N: 5 })),
      ),
    ).toEqual([expect.stringMatching(/PutItem input\.Item\.connectedAt\.N: expected a string/)]);
    expect(
      brokenCopy('secretsmanager', 'DescribeSecret', (e) => request(e, (body) => delete body.SecretId)),
    ).toEqual([expect.stringMatching(/DescribeSecret input: required member SecretId is missing/)]);
    expect(
      brokenCopy('apigatewaymanagementapi', 'PostToConnection', (e) => ({
        ...e,
        requestBody: Buffer.alloc(0),
      })),
    ).toEqual(['PostToConnection: the required payload Data is empty']);
    expect(
      brokenCopy('ecr', 'GetAuthorizationToken', (e) => ({
        ...e,
        headers: { ...e.headers, 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthToken' },
      })),
    ).toEqual(['ecr has no operation GetAuthToken']);
  });

  it('the EKS tokens the functions present to the cluster are presigned STS GetCallerIdentity URLs of the STS model', () => {
    const tokens = recorded.exchanges
      .filter((exchange) => recorded.serviceOfPort.get(exchange.port) === 'kubernetes')
      .map((exchange) => exchange.headers.authorization ?? '')
      .filter((authorization) => authorization.startsWith('Bearer k8s-aws-v1.'))
      .map((authorization) => authorization.slice('Bearer '.length));
    expect(tokens.length).toBeGreaterThan(0);
    const sts = loadServiceModel('sts');
    for (const token of new Set(tokens)) {
      const url = decodeEksToken(token);
      expect(url.host).toBe(`sts.${recorded.region}.amazonaws.com`);
      expect(url.pathname).toBe('/');
      expect(
        checkPresignedQueryUrl(sts, url, { operation: 'GetCallerIdentity', signedHeaders: ['x-k8s-aws-id'] }),
      ).toEqual([]);
    }
  });
});

describe("answers of the Secrets Manager, ECR and EKS wire stand-ins and the local API Gateway's management API on paths the tour does not take, against botocore's models", () => {
  const keys = { accessKeyId: 'AKIAERRORPATHS000001', secretAccessKey: 'error-path-secret' };
  let tap: WireTap;
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(() => {
    tap = startWireTap();
  });
  afterAll(async () => {
    tap.stop();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function checked(service: string, work: () => Promise<unknown>, basePath = '') {
    const before = tap.exchanges.length;
    await work().catch(() => undefined);
    await tap.settled();
    return tap.exchanges.slice(before).map((exchange) => check(service, exchange, basePath));
  }

  it('Secrets Manager: missing, marked for deletion, a server fault, an unknown key', async () => {
    const standIn = await startSecretsManagerStandIn({
      accessKeys: { [keys.accessKeyId]: keys.secretAccessKey },
      secrets: { doomed: 'x' },
    });
    cleanups.push(() => standIn.close());
    const client = new SecretsManagerClient({
      region: 'eu-west-1',
      endpoint: standIn.url,
      credentials: keys,
      maxAttempts: 1,
    });
    const store = new SecretsManagerSecretStore({ client });
    standIn.scheduleDeletion('doomed');
    const results = [
      ...(await checked('secretsmanager', () => store.exists('/collate/hybrid-ingestion-runner/nothing'))),
      ...(await checked('secretsmanager', () =>
        secretsManagerTokenProvider({ client, secretId: 'doomed' })(),
      )),
      ...(await checked('secretsmanager', async () => {
        standIn.failNext(1, 'InternalServiceError', 500);
        return store.exists('doomed');
      })),
      ...(await checked('secretsmanager', () =>
        new SecretsManagerSecretStore({
          client: new SecretsManagerClient({
            region: 'eu-west-1',
            endpoint: standIn.url,
            credentials: { ...keys, accessKeyId: 'AKIAUNKNOWN000000000' },
            maxAttempts: 1,
          }),
        }).exists('doomed'),
      )),
    ];
    expect(results.map((result) => result.error)).toEqual([
      'ResourceNotFoundException',
      'InvalidRequestException',
      'InternalServiceError',
      'UnrecognizedClientException',
    ]);
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  it("the CLI's secrets put: CreateSecret, then PutSecretValue once the secret exists", async () => {
    const standIn = await startSecretsManagerStandIn({
      accessKeys: { [keys.accessKeyId]: keys.secretAccessKey },
    });
    cleanups.push(() => standIn.close());
    const client = new SecretsManagerClient({
      region: 'eu-west-1',
      endpoint: standIn.url,
      credentials: keys,
      maxAttempts: 1,
    });
    const out = {
      json: true,
      result: () => undefined,
      progress: () => undefined,
      item: () => undefined,
      error: () => undefined,
    };
    const put = (value: string) =>
      runSecretsCommand({
        action: 'put',
        name: '/collate/hybrid-ingestion-runner/cli-put',
        out,
        stdin: Readable.from([value]),
        client,
      });
    const results = [
      ...(await checked('secretsmanager', () => put('first'))),
      ...(await checked('secretsmanager', () => put('second'))),
    ];
    expect(results.map((result) => `${result.operation} ${result.error ?? 'ok'}`)).toEqual([
      'CreateSecret ok',
      'CreateSecret ResourceExistsException',
      'PutSecretValue ok',
    ]);
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  it('ECR: throttling, a server fault, an unknown key', async () => {
    const standIn = await startEcrStandIn({
      accessKeys: { [keys.accessKeyId]: { secretAccessKey: keys.secretAccessKey } },
    });
    cleanups.push(() => standIn.close());
    const login = (credentials: typeof keys) =>
      createEcrRegistryAuth({ credentials, ecrEndpoint: standIn.url, retry: { attempts: 1 } }).login(
        '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
      );
    const results = [
      ...(await checked('ecr', async () => {
        standIn.failNext(1);
        return login(keys);
      })),
      ...(await checked('ecr', async () => {
        standIn.failNext(1, 'ServerException', 500);
        return login(keys);
      })),
      ...(await checked('ecr', () => login({ ...keys, accessKeyId: 'AKIAUNKNOWN000000000' }))),
    ];
    expect(results.map((result) => result.error)).toEqual([
      'ThrottlingException',
      'ServerException',
      'UnrecognizedClientException',
    ]);
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  it('the management API: GetConnection and DeleteConnection (served, though the runner only posts)', async () => {
    const gateway = await startLocalApiGateway({
      handlers: {
        connect: async () => ({ statusCode: 200 }),
        disconnect: async () => ({ statusCode: 200 }),
        message: async () => ({ statusCode: 200 }),
      },
    });
    cleanups.push(() => gateway.close());
    // A client that sends no User-Agent, as a plain WebSocket client may.
    const socket = new WebSocket(gateway.url);
    await new Promise((opened, failed) => socket.once('open', opened).once('error', failed));
    const [connectionId] = gateway.connectionIds();
    const client = new ApiGatewayManagementApiClient({
      endpoint: gateway.managementEndpoint,
      region: 'eu-west-1',
      credentials: keys,
      maxAttempts: 1,
    });
    const basePath = new URL(gateway.managementEndpoint).pathname;
    const results = [
      ...(await checked(
        'apigatewaymanagementapi',
        () => client.send(new GetConnectionCommand({ ConnectionId: connectionId! })),
        basePath,
      )),
      ...(await checked(
        'apigatewaymanagementapi',
        () => client.send(new DeleteConnectionCommand({ ConnectionId: connectionId! })),
        basePath,
      )),
      ...(await checked(
        'apigatewaymanagementapi',
        () => client.send(new GetConnectionCommand({ ConnectionId: connectionId! })),
        basePath,
      )),
    ];
    socket.terminate();
    expect(results.map((result) => `${result.operation} ${result.error ?? 'ok'}`)).toEqual([
      'GetConnection ok',
      'DeleteConnection ok',
      'GetConnection GoneException',
    ]);
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  it('EKS: an unknown cluster, a server fault', async () => {
    const standIn = await startEksStandIn({
      accessKeys: { [keys.accessKeyId]: keys.secretAccessKey },
      clusters: {},
    });
    cleanups.push(() => standIn.close());
    const describe = (clusterName: string) => {
      clearEksClusterInfoCache();
      return describeEksCluster({
        clusterName,
        region: 'eu-west-1',
        credentials: keys,
        endpointOverride: standIn.url,
      });
    };
    const results = [
      ...(await checked('eks', () => describe('absent'))),
      ...(await checked('eks', async () => {
        standIn.failNext(1, 'ServerException', 500);
        return describe('absent');
      })),
    ];
    expect(results.map((result) => result.error).slice(0, 1)).toEqual(['ResourceNotFoundException']);
    expect(results.map((result) => result.error)).toContain('ServerException');
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });
});
