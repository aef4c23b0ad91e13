// Every IAM document the stack produces, evaluated by iam-simulate (written elsewhere, implementing AWS's
// evaluation logic) against the calls the functions make, recorded over the wire from the local stage
// (its stand-ins: dynalite, the Secrets Manager / ECR / EKS wire stand-ins, the local API Gateway), and
// against the neighbours that must stay denied. docs/security.md shows the resulting table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FUNCTION_ENV, parseStageConfig, type StageConfigInput } from '@hybrid-runner/config';
import {
  distinctRequests,
  evaluate,
  evaluateTrust,
  markdownTable,
  recordedRequests,
  secretArnOfName,
  stackRoles,
  unusedGrants,
  violations,
  type IamRequest,
  type IamRow,
  type StackRole,
} from '../support/iam-evaluation.ts';
import { recordLocalStageAwsCalls, type RecordedAwsCalls } from '../support/local-stage-aws-calls.ts';
import { ACCOUNT_ID, REGION, repoRoot, runStack, type StackRun } from './harness.ts';

// Each handler's AWS calls are labelled with its module (the stack's `handler`), to attribute them to its role.
vi.mock('../../functions/bridge/connect.ts', async (original) =>
  (await import('../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/connect',
  ),
);
vi.mock('../../functions/bridge/disconnect.ts', async (original) =>
  (await import('../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/disconnect',
  ),
);
vi.mock('../../functions/bridge/message.ts', async (original) =>
  (await import('../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/message',
  ),
);
vi.mock('../../functions/schedule/heartbeat.ts', async (original) =>
  (await import('../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/schedule/heartbeat',
  ),
);
vi.mock('../../functions/bridge/keeper.ts', async (original) =>
  (await import('../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/bridge/keeper',
  ),
);
vi.mock('../../functions/schedule/ecr-refresh.ts', async (original) =>
  (await import('../support/local-stage-aws-calls.ts')).labelledHandlers(
    await original(),
    'functions/schedule/ecr-refresh',
  ),
);

const ARN = `${REGION}:${ACCOUNT_ID}`;
/** The local stage's features (Secrets Manager references, Pod Identity), so the same calls arise. */
const STAGE: StageConfigInput = {
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'prod-eks', region: REGION },
  secretsManager: { provider: 'managed-aws' },
  ingestionPods: { identity: 'pod-identity' },
  // A pattern target: the heartbeat then starts the registry refresh for new namespaces.
  ecr: { targetNamespaces: { include: ['team-*'] } },
};
/** Calls AWS makes for us (Scheduler) or that the local stage makes in-process (the heartbeat's refresh start). */
const UNRECORDED = [
  'EventBridge Scheduler',
  'functions/schedule/heartbeat (Lambda Invoke; in-process locally)',
  'functions/bridge/keeper (Lambda Invoke; in-process locally)',
];
const PREFIX = '/collate/hybrid-ingestion-runner/';
/** The same stage with the dial-out bridge: its keeper role is evaluated beside the inbound roles. */
const OUTBOUND_STAGE: StageConfigInput = { ...STAGE, bridge: { mode: 'outbound' } };

/** What no function may do, whatever the code does today. */
function deniedNeighbours(run: StackRun): IamRequest[] {
  const denied = (role: string, action: string, resource: string): IamRequest => ({
    role,
    action,
    resource,
    madeBy: ['must stay denied'],
    expected: 'Denied',
  });
  const bridgeEnvironment = run.one('standin:sst:aws:FunctionArgs', 'BridgeMessageArgs').inputs
    .environment as Record<string, string>;
  const tokenSecret = bridgeEnvironment.HYBRID_RUNNER_AUTH_TOKEN_SECRET!;
  const ecrKeysSecret = (
    run.one('standin:sst:aws:FunctionArgs', 'RegistryRefreshArgs').inputs.environment as Record<
      string,
      string
    >
  ).HYBRID_RUNNER_ECR_KEYS_SECRET!;
  const pipelineSecret = secretArnOfName(REGION, ACCOUNT_ID, `${PREFIX}mysql-prod-password`);
  const evilPrefix = secretArnOfName(REGION, ACCOUNT_ID, '/collate/hybrid-ingestion-runner-evil/x');
  const outside = secretArnOfName(REGION, ACCOUNT_ID, '/collate/other-team/x');
  const connections = `arn:aws:dynamodb:${ARN}:table/Connections-table`;
  const cluster = (region: string, name: string) => `arn:aws:eks:${region}:${ACCOUNT_ID}:cluster/${name}`;
  const connection = (api: string, stage: string, method: string) =>
    `arn:aws:execute-api:${ARN}:${api}/${stage}/${method}/@connections/{connectionId}`;
  const everyRole = ['BridgeRole', 'RegistryRole', 'IngestionPodsRole'];
  const bucket = archiveBucketArn(run);
  const ownLog = `${bucket}/collate-ingestion/run-1/run-1-main-1/main.log`;
  const otherBucket = 'arn:aws:s3:::another-bucket';
  return [
    // Archived logs: each side its one action on the ingestion namespace's prefix, nothing on the bucket.
    denied('IngestionPodsRole', 's3:PutObject', `${bucket}/other-namespace/run-1/run-1-main-1/main.log`),
    denied('IngestionPodsRole', 's3:PutObject', `${bucket}/collate-ingestion-evil/run-1/pod/main.log`),
    denied('IngestionPodsRole', 's3:PutObject', `${otherBucket}/collate-ingestion/run-1/pod/main.log`),
    denied('IngestionPodsRole', 's3:GetObject', ownLog),
    denied('IngestionPodsRole', 's3:DeleteObject', ownLog),
    denied('IngestionPodsRole', 's3:ListBucket', bucket),
    denied('IngestionPodsRole', 's3:PutBucketPolicy', bucket),
    denied('BridgeRole', 's3:GetObject', `${bucket}/other-namespace/run-1/run-1-main-1/main.log`),
    denied('BridgeRole', 's3:GetObject', `${otherBucket}/collate-ingestion/run-1/pod/main.log`),
    denied('BridgeRole', 's3:PutObject', ownLog),
    denied('BridgeRole', 's3:DeleteObject', ownLog),
    denied('BridgeRole', 's3:ListBucket', bucket),
    denied('BridgeRole', 's3:PutBucketPolicy', bucket),
    denied('BridgeRole', 's3:PutLifecycleConfiguration', bucket),
    denied('RegistryRole', 's3:GetObject', ownLog),
    // Secrets: outside the prefix (also a prefix without the trailing slash), and each other's.
    denied('IngestionPodsRole', 'secretsmanager:GetSecretValue', evilPrefix),
    denied('IngestionPodsRole', 'secretsmanager:GetSecretValue', outside),
    denied('IngestionPodsRole', 'secretsmanager:GetSecretValue', tokenSecret),
    denied('IngestionPodsRole', 'secretsmanager:GetSecretValue', ecrKeysSecret),
    denied('IngestionPodsRole', 'secretsmanager:PutSecretValue', pipelineSecret),
    denied('IngestionPodsRole', 'secretsmanager:ListSecrets', '*'),
    denied('BridgeRole', 'secretsmanager:GetSecretValue', pipelineSecret),
    denied('BridgeRole', 'secretsmanager:DescribeSecret', evilPrefix),
    denied('BridgeRole', 'secretsmanager:GetSecretValue', ecrKeysSecret),
    denied('RegistryRole', 'secretsmanager:GetSecretValue', tokenSecret),
    denied('RegistryRole', 'secretsmanager:GetSecretValue', pipelineSecret),
    // Tables: another table, and deleting our own.
    denied('BridgeRole', 'dynamodb:GetItem', `arn:aws:dynamodb:${ARN}:table/another-table`),
    denied('BridgeRole', 'dynamodb:DeleteTable', connections),
    denied('BridgeRole', 'dynamodb:DeleteTable', `arn:aws:dynamodb:${ARN}:table/RunnerState-table`),
    // Clusters: another one, and the same name in another region.
    denied('BridgeRole', 'eks:DescribeCluster', cluster(REGION, 'another-cluster')),
    denied('BridgeRole', 'eks:DescribeCluster', cluster('us-east-1', 'prod-eks')),
    denied('RegistryRole', 'eks:DescribeCluster', cluster(REGION, 'another-cluster')),
    // The management API: another API, another stage of ours, and methods the code never uses.
    denied('BridgeRole', 'execute-api:ManageConnections', connection('api9999', '$default', 'POST')),
    denied('BridgeRole', 'execute-api:ManageConnections', connection('api0123', 'prod', 'POST')),
    denied('BridgeRole', 'execute-api:ManageConnections', connection('api0123', '$default', 'DELETE')),
    denied('BridgeRole', 'execute-api:ManageConnections', connection('api0123', '$default', 'GET')),
    // The registry: the roles need no ECR permission at all (Collate's keys sign the login), nor push images.
    ...everyRole.map((role) => denied(role, 'ecr:GetAuthorizationToken', '*')),
    ...everyRole.map((role) =>
      denied(role, 'ecr:PutImage', `arn:aws:ecr:${REGION}:118146679784:repository/collate-ingestion`),
    ),
    // IAM itself.
    ...everyRole.flatMap((role) => [
      denied(role, 'iam:PassRole', `arn:aws:iam::${ACCOUNT_ID}:role/BridgeRole-role`),
      denied(role, 'iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT_ID}:user/deployer`),
      denied(role, 'iam:AttachRolePolicy', `arn:aws:iam::${ACCOUNT_ID}:role/RegistryRole-role`),
    ]),
  ];
}

/** What the keeper must not do: the WebSocket API's rights, the connections table, others' secrets. */
function keeperNeighbours(run: StackRun): IamRequest[] {
  const denied = (action: string, resource: string): IamRequest => ({
    role: 'KeeperRole',
    action,
    resource,
    madeBy: ['must stay denied'],
    expected: 'Denied',
  });
  const ecrKeysSecret = (
    run.one('standin:sst:aws:FunctionArgs', 'RegistryRefreshArgs').inputs.environment as Record<
      string,
      string
    >
  ).HYBRID_RUNNER_ECR_KEYS_SECRET!;
  const connection = `arn:aws:execute-api:${ARN}:api0123/$default/POST/@connections/{connectionId}`;
  return [
    denied('execute-api:ManageConnections', connection),
    denied('dynamodb:GetItem', `arn:aws:dynamodb:${ARN}:table/Connections-table`),
    denied('dynamodb:PutItem', `arn:aws:dynamodb:${ARN}:table/Connections-table`),
    denied('dynamodb:GetItem', `arn:aws:dynamodb:${ARN}:table/another-table`),
    denied('dynamodb:DeleteTable', `arn:aws:dynamodb:${ARN}:table/RunnerState-table`),
    denied('dynamodb:Scan', `arn:aws:dynamodb:${ARN}:table/RunnerState-table`),
    denied(
      'secretsmanager:GetSecretValue',
      secretArnOfName(REGION, ACCOUNT_ID, `${PREFIX}mysql-prod-password`),
    ),
    denied(
      'secretsmanager:DescribeSecret',
      secretArnOfName(REGION, ACCOUNT_ID, '/collate/hybrid-ingestion-runner-evil/x'),
    ),
    denied('secretsmanager:GetSecretValue', ecrKeysSecret),
    denied('eks:DescribeCluster', `arn:aws:eks:${REGION}:${ACCOUNT_ID}:cluster/another-cluster`),
    denied('ecr:GetAuthorizationToken', '*'),
    denied('iam:PassRole', `arn:aws:iam::${ACCOUNT_ID}:role/KeeperRole-role`),
  ];
}

/**
 * The archived logs' calls, which no stand-in of the local stage records yet: Argo's wait container uploads a
 * pod's main log under the keyFormat (`<namespace>/<workflow>/<pod>/main.log`), and the message function's S3
 * adapter reads it back by range (GetObject, and HeadObject to size a range past the end, which IAM
 * authorizes as s3:GetObject; no ListBucket). Named here as the calls those two make.
 */
function archiveRequests(run: StackRun): IamRequest[] {
  const bucket = archiveBucketArn(run);
  const key = `${bucket}/collate-ingestion/sales-mysql-ingestion-5f2c1/sales-mysql-ingestion-5f2c1-main-3141592653/main.log`;
  return [
    {
      role: 'IngestionPodsRole',
      action: 's3:PutObject',
      resource: key,
      madeBy: ["Argo's wait container (archiveLogs)"],
      expected: 'Allowed',
    },
    {
      role: 'BridgeRole',
      action: 's3:GetObject',
      resource: key,
      madeBy: ['functions/bridge/message (S3 log archive adapter: GetObject, HeadObject)'],
      expected: 'Allowed',
    },
  ];
}

function archiveBucketArn(run: StackRun, functionArgs = 'BridgeMessageArgs'): string {
  const environment = run.one('standin:sst:aws:FunctionArgs', functionArgs).inputs.environment as Record<
    string,
    string
  >;
  return `arn:aws:s3:::${environment[FUNCTION_ENV.logArchiveBucket]!}`;
}

/** The outbound keeper serves getIngestionLogs too, so it reads the archive as the message function does. */
function keeperArchiveRequests(outboundRun: StackRun): IamRequest[] {
  const bucket = archiveBucketArn(outboundRun, 'KeeperArgs');
  return [
    {
      role: 'KeeperRole',
      action: 's3:GetObject',
      resource: `${bucket}/collate-ingestion/sales-mysql-ingestion-5f2c1/sales-mysql-ingestion-5f2c1-main-3141592653/main.log`,
      madeBy: ['functions/bridge/keeper (S3 log archive adapter: GetObject, HeadObject)'],
      expected: 'Allowed',
    },
    {
      role: 'KeeperRole',
      action: 's3:GetObject',
      resource: `${bucket}/other-namespace/run-1/run-1-main-1/main.log`,
      madeBy: ['must stay denied'],
      expected: 'Denied',
    },
  ];
}

/**
 * EventBridge Scheduler invokes the registry refresh through the schedule's execution role (AWS makes that
 * call, so the local stage cannot record it); the role may invoke nothing else. The heartbeat (the keeper's
 * heartbeat pass in outbound mode) starts the refresh with a Lambda Invoke in AWS, which the local stage
 * replaces with an in-process run.
 */
function unrecordedRequests(run: StackRun, outboundRun: StackRun): IamRequest[] {
  const functionArn = (id: string, of = run) =>
    `arn:aws:lambda:${ARN}:function:${String(of.one('standin:sst:aws:FunctionArgs', `${id}Args`).inputs.name)}`;
  const role = 'RegistryRefreshSchedulerRole';
  const request = (action: string, resource: string, expected: IamRequest['expected']): IamRequest => ({
    role,
    action,
    resource,
    madeBy: [expected === 'Allowed' ? 'EventBridge Scheduler' : 'must stay denied'],
    expected,
  });
  const refreshStarts =
    (role: 'BridgeRole' | 'KeeperRole') =>
    (resource: string, expected: IamRequest['expected']): IamRequest => ({
      role,
      action: 'lambda:InvokeFunction',
      resource,
      madeBy: [expected === 'Allowed' ? UNRECORDED[role === 'BridgeRole' ? 1 : 2]! : 'must stay denied'],
      expected,
    });
  const heartbeatStarts = refreshStarts('BridgeRole');
  const keeperStarts = refreshStarts('KeeperRole');
  return [
    heartbeatStarts(functionArn('RegistryRefresh'), 'Allowed'),
    heartbeatStarts(functionArn('Heartbeat'), 'Denied'),
    heartbeatStarts(`arn:aws:lambda:${ARN}:function:another-function`, 'Denied'),
    { ...heartbeatStarts(functionArn('RegistryRefresh'), 'Denied'), action: 'lambda:UpdateFunctionCode' },
    keeperStarts(functionArn('RegistryRefresh', outboundRun), 'Allowed'),
    keeperStarts(functionArn('Keeper', outboundRun), 'Denied'),
    keeperStarts(`arn:aws:lambda:${ARN}:function:another-function`, 'Denied'),
    request('lambda:InvokeFunction', functionArn('RegistryRefresh'), 'Allowed'),
    request('lambda:InvokeFunction', functionArn('Heartbeat'), 'Denied'),
    request('lambda:InvokeFunction', `arn:aws:lambda:${ARN}:function:another-function`, 'Denied'),
    request('lambda:UpdateFunctionCode', functionArn('RegistryRefresh'), 'Denied'),
    request('secretsmanager:GetSecretValue', secretArnOfName(REGION, ACCOUNT_ID, `${PREFIX}x`), 'Denied'),
  ];
}

/** The ingestion pods read every secret the runner checked a `secret:` reference for (GetSecretValue). */
function podRequests(requests: IamRequest[]): IamRequest[] {
  return requests
    .filter((request) => request.role === 'BridgeRole' && request.action === 'secretsmanager:DescribeSecret')
    .map((request) => ({
      ...request,
      role: 'IngestionPodsRole',
      action: 'secretsmanager:GetSecretValue',
      madeBy: ['ingestion pods'],
    }));
}

function withoutAction(roles: StackRole[], roleName: string, action: string): StackRole[] {
  return roles.map((role) =>
    role.name !== roleName
      ? role
      : {
          ...role,
          policies: role.policies.map((policy) => ({
            ...policy,
            Statement: policy.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== action) })),
          })),
        },
  );
}

function withStatement(
  roles: StackRole[],
  roleName: string,
  statement: Record<string, unknown>,
): StackRole[] {
  return roles.map((role) =>
    role.name !== roleName
      ? role
      : {
          ...role,
          policies: [
            ...role.policies,
            { Version: '2012-10-17', Statement: [statement] } as unknown as StackRole['policies'][number],
          ],
        },
  );
}

function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line.replace(/:/g, '-')))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe('IAM policies of the stack evaluated by iam-simulate against calls recorded from the local stage (stand-ins)', () => {
  let recorded: RecordedAwsCalls;
  let run: StackRun;
  let outboundRun: StackRun;
  let roles: StackRole[];
  let requests: IamRequest[];
  let rows: IamRow[];

  beforeAll(async () => {
    recorded = await recordLocalStageAwsCalls({ outbound: true });
    run = await runStack(parseStageConfig(STAGE));
    outboundRun = await runStack(parseStageConfig(OUTBOUND_STAGE));
    // The inbound stage's roles, and the one role only the outbound stage has (its RegistryRole is the same).
    const isKeeper = (name: string) => name === 'KeeperRole';
    roles = [...stackRoles(run), ...stackRoles(outboundRun).filter((role) => isKeeper(role.name))];
    const calls = distinctRequests([
      ...recordedRequests(recorded, run),
      ...recordedRequests(recorded, outboundRun).filter((request) => isKeeper(request.role)),
    ]);
    requests = [
      ...distinctRequests([...calls, ...archiveRequests(run), ...keeperArchiveRequests(outboundRun)]),
      ...podRequests(calls),
      ...unrecordedRequests(run, outboundRun),
      ...deniedNeighbours(run),
      ...keeperNeighbours(outboundRun),
    ];
    rows = await evaluate(roles, requests);
  }, 180_000);

  it('recorded a call of every function and every service the functions use', () => {
    const made = new Set(requests.flatMap((request) => request.madeBy));
    for (const module of [
      'functions/bridge/connect',
      'functions/bridge/disconnect',
      'functions/bridge/message',
      'functions/schedule/heartbeat',
      'functions/schedule/ecr-refresh',
      'functions/bridge/keeper',
    ]) {
      expect(made, module).toContain(module);
    }
    // The keeper's lease: the first claim, a successor's claim (both conditional PutItem) and the renewals.
    const keeperCalls = requests.filter((r) => r.role === 'KeeperRole' && r.expected === 'Allowed');
    expect(keeperCalls.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'eks:DescribeCluster',
      ]),
    );
    const actions = new Set(
      requests
        .filter((r) => r.expected === 'Allowed' && !r.madeBy.some((by) => UNRECORDED.includes(by)))
        .map((r) => r.action.split(':')[0]),
    );
    expect([...actions].sort()).toEqual(['dynamodb', 'eks', 'execute-api', 'logs', 's3', 'secretsmanager']);
    // The ECR login is made, but signed with Collate's keys from their secret: not a permission of the role.
    const logins = recorded.exchanges.filter(
      (exchange) => recorded.serviceOfPort.get(exchange.port) === 'ecr',
    );
    expect(logins.map((exchange) => exchange.sender)).toContain('functions/schedule/ecr-refresh');
    for (const login of logins) {
      expect(login.headers.authorization).not.toContain(`Credential=${recorded.functionAccessKeyId}/`);
    }
  });

  it('allows every recorded call and denies every neighbour', () => {
    expect(violations(rows)).toEqual([]);
    expect(rows.filter((row) => row.expected === 'Denied').length).toBeGreaterThan(20);
  });

  it('grants the function roles nothing that no recorded call uses', () => {
    // The pods' calls are made by the ingestion code (not ours, not recorded), so their role is left out.
    expect(unusedGrants(roles, requests, ['BridgeRole', 'RegistryRole', 'KeeperRole'])).toEqual([]);
    const widened = withStatement(roles, 'BridgeRole', {
      Sid: 'Widened',
      Effect: 'Allow',
      Action: ['dynamodb:BatchWriteItem'],
      Resource: [`arn:aws:dynamodb:${ARN}:table/Connections-table`],
    });
    expect(unusedGrants(widened, requests, ['BridgeRole', 'RegistryRole'])).toEqual([
      `BridgeRole Widened dynamodb:BatchWriteItem on arn:aws:dynamodb:${ARN}:table/Connections-table`,
    ]);
  });

  it('fails when a policy loses an action a function needs', async () => {
    const broken = await evaluate(withoutAction(roles, 'BridgeRole', 'dynamodb:UpdateItem'), requests);
    // Both tables lose it: the state table's writes and the rate limit's counter on the connections table.
    expect(violations(broken).map((row) => `${row.role} ${row.action} ${row.resource}`)).toEqual([
      'BridgeRole dynamodb:UpdateItem arn:aws:dynamodb:eu-west-1:123456789012:table/Connections-table',
      'BridgeRole dynamodb:UpdateItem arn:aws:dynamodb:eu-west-1:123456789012:table/RunnerState-table',
    ]);
    // The keeper without PutItem can neither claim the lease nor record a request.
    const noClaim = await evaluate(withoutAction(roles, 'KeeperRole', 'dynamodb:PutItem'), requests);
    expect(violations(noClaim).map((row) => `${row.role} ${row.action} ${row.resource}`)).toEqual([
      'KeeperRole dynamodb:PutItem arn:aws:dynamodb:eu-west-1:123456789012:table/RunnerState-table',
    ]);
  });

  it('fails when the archive grants lose their action or widen beyond the ingestion namespace', async () => {
    const bucket = archiveBucketArn(run);
    const unread = await evaluate(withoutAction(roles, 'BridgeRole', 's3:GetObject'), requests);
    expect(violations(unread).map((row) => `${row.role} ${row.action}`)).toEqual(['BridgeRole s3:GetObject']);
    const unwritten = await evaluate(withoutAction(roles, 'IngestionPodsRole', 's3:PutObject'), requests);
    expect(violations(unwritten).map((row) => `${row.role} ${row.action}`)).toEqual([
      'IngestionPodsRole s3:PutObject',
    ]);
    const everyPrefix = await evaluate(
      withStatement(roles, 'IngestionPodsRole', {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${bucket}/*`],
      }),
      requests,
    );
    expect(violations(everyPrefix).map((row) => row.resource)).toEqual([
      `${bucket}/other-namespace/run-1/run-1-main-1/main.log`,
      `${bucket}/collate-ingestion-evil/run-1/pod/main.log`,
    ]);
  });

  it('fails when a policy gains a forbidden action, or the management API grant widens to every stage', async () => {
    const gained = await evaluate(
      withStatement(roles, 'RegistryRole', { Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['*'] }),
      requests,
    );
    expect(violations(gained).map((row) => `${row.role} ${row.action}`)).toEqual([
      'RegistryRole iam:PassRole',
    ]);
    const everyStage = await evaluate(
      withStatement(roles, 'BridgeRole', {
        Effect: 'Allow',
        Action: ['execute-api:ManageConnections'],
        Resource: [`arn:aws:execute-api:${ARN}:api0123/*/*/@connections/*`],
      }),
      requests,
    );
    expect(violations(everyStage).map((row) => row.resource)).toEqual([
      `arn:aws:execute-api:${ARN}:api0123/prod/POST/@connections/{connectionId}`,
      `arn:aws:execute-api:${ARN}:api0123/$default/DELETE/@connections/{connectionId}`,
      `arn:aws:execute-api:${ARN}:api0123/$default/GET/@connections/{connectionId}`,
    ]);
  });

  it("lets only Lambda assume the function roles, only this account's Scheduler the schedule role, and only the one service account the pods role (Pod Identity)", async () => {
    const tags = {
      'aws:SourceAccount': ACCOUNT_ID,
      'aws:RequestTag/eks-cluster-name': 'prod-eks',
      'aws:RequestTag/kubernetes-namespace': 'collate-ingestion',
      'aws:RequestTag/kubernetes-service-account': 'ingestion',
    };
    const cases = [
      ...['BridgeRole', 'RegistryRole', 'KeeperRole'].flatMap((role) => [
        {
          role,
          principal: 'lambda.amazonaws.com',
          action: 'sts:AssumeRole',
          context: {},
          expected: 'Allowed',
        },
        {
          role,
          principal: 'ec2.amazonaws.com',
          action: 'sts:AssumeRole',
          context: {},
          expected: 'ImplicitlyDenied',
        },
      ]),
      // Scheduler of this account only (aws:SourceAccount), never Lambda or another account's Scheduler.
      ...[
        { principal: 'scheduler.amazonaws.com', account: ACCOUNT_ID, expected: 'Allowed' },
        { principal: 'scheduler.amazonaws.com', account: '210987654321', expected: 'ImplicitlyDenied' },
        { principal: 'lambda.amazonaws.com', account: ACCOUNT_ID, expected: 'ImplicitlyDenied' },
      ].map(({ principal, account, expected }) => ({
        role: 'RegistryRefreshSchedulerRole',
        principal,
        action: 'sts:AssumeRole',
        context: { 'aws:SourceAccount': account },
        expected,
      })),
      ...['sts:AssumeRole', 'sts:TagSession'].flatMap((action) => [
        {
          role: 'IngestionPodsRole',
          principal: 'pods.eks.amazonaws.com',
          action,
          context: tags,
          expected: 'Allowed',
        },
        ...Object.entries({
          'aws:SourceAccount': '210987654321',
          'aws:RequestTag/eks-cluster-name': 'another-cluster',
          'aws:RequestTag/kubernetes-namespace': 'another-namespace',
          'aws:RequestTag/kubernetes-service-account': 'default',
        }).map(([key, value]) => ({
          role: 'IngestionPodsRole',
          principal: 'pods.eks.amazonaws.com',
          action,
          context: { ...tags, [key]: value },
          expected: 'ImplicitlyDenied',
        })),
        {
          role: 'IngestionPodsRole',
          principal: 'lambda.amazonaws.com',
          action,
          context: tags,
          expected: 'ImplicitlyDenied',
        },
      ]),
    ] as const;
    const evaluated = await Promise.all(
      cases.map(async (request) => ({
        ...request,
        evaluated: await evaluateTrust(request.role === 'KeeperRole' ? outboundRun : run, request),
      })),
    );
    expect(evaluated.filter((row) => row.evaluated !== row.expected)).toEqual([]);
  });

  it('is the table docs/security.md shows', () => {
    if (process.env.PRINT_IAM_TABLE) console.log(markdownTable(rows));
    const page = readFileSync(join(repoRoot, 'docs/security.md'), 'utf8');
    const section = /<!-- iam-evaluation:start -->([\s\S]*?)<!-- iam-evaluation:end -->/.exec(page)?.[1];
    expect(section, 'docs/security.md has no iam-evaluation section').toBeDefined();
    expect(tableRows(section ?? '')).toEqual(tableRows(markdownTable(rows)));
  });
});
