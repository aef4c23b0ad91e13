// The outbound bridge's stack (bridge.mode: outbound), offline under Pulumi mocks (see harness.ts for what
// this proves and what it cannot): no WebSocket API and no public endpoint, the keeper's size and tick, and
// its role's exact document.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KEEPER_MEMORY_MB,
  FUNCTION_ENV,
  parseStageConfig,
  readFunctionEnvironment,
  type StageConfigInput,
} from '@hybrid-runner/config';
import { DEFAULT_KEEPER_TIMING, DEFAULT_TAKEOVER_POLICY, KEEPER_TICK_MS } from '@hybrid-runner/core';
import { LambdaRegistryRefreshStarter } from '@hybrid-runner/aws';
import { newNamespacesCheck } from '../../functions/lib/new-namespaces-check.ts';
import { FUNCTION_GROUPS } from '../../stacks/cluster-access.ts';
import type { PolicyDocument } from '../../stacks/iam-policies.ts';
import { ACCOUNT_ID, REGION, runStack, type StackRun } from './harness.ts';

const ARN = `${REGION}:${ACCOUNT_ID}`;
const outbound: StageConfigInput = {
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'prod-eks' },
  bridge: { mode: 'outbound' },
};
const KEEPER_FUNCTION = `arn:aws:lambda:${ARN}:function:hybrid-runner-test-keeper`;
const STATE_TABLE = `arn:aws:dynamodb:${ARN}:table/RunnerState-table`;
const AUTH_TOKEN_SECRET = `arn:aws:secretsmanager:${ARN}:secret:AuthTokenSecret-AbCdEf`;

const deploy = (input: StageConfigInput) => runStack(parseStageConfig(input));
const keeperArgs = (run: StackRun) => run.one('standin:sst:aws:FunctionArgs', 'KeeperArgs').inputs;
const keeperPolicyOf = (run: StackRun) =>
  JSON.parse(
    run.one('aws:iam/rolePolicy:RolePolicy', 'KeeperRolePolicy').inputs.policy as string,
  ) as PolicyDocument;

describe('stack in outbound mode (Pulumi mocks)', async () => {
  const run = await deploy(outbound);

  it('creates no API Gateway, no routes, no connections table and no public endpoint output', () => {
    expect(run.resources.filter((resource) => resource.type.startsWith('aws:apigatewayv2'))).toEqual([]);
    expect(run.resources.filter((resource) => resource.type.includes('ApiGatewayWebSocket'))).toEqual([]);
    expect(run.ofType('aws:dynamodb/table:Table').map((table) => table.name)).toEqual(['RunnerState']);
    expect(run.outputs).not.toHaveProperty('websocketUrl');
    expect(run.outputs).not.toHaveProperty('managementEndpoint');
    // The only URL in the outputs is Collate's, which the keeper dials.
    expect(run.outputs.outboundUrl).toBe('wss://acme.getcollate.io/api/v1/hybrid-runner/ws');
    const everyAction = run
      .ofType('aws:iam/rolePolicy:RolePolicy')
      .flatMap((policy) => (JSON.parse(policy.inputs.policy as string) as PolicyDocument).Statement)
      .flatMap((statement) => statement.Action);
    expect(everyAction.filter((action) => action.startsWith('execute-api:'))).toEqual([]);
  });

  it('deploys the keeper instead of the connect, disconnect, message and heartbeat functions', () => {
    const handlers = run.ofType('standin:sst:aws:FunctionArgs').map((fn) => fn.inputs.handler);
    expect(handlers.sort()).toEqual([
      'functions/bridge/keeper.handler',
      'functions/schedule/ecr-refresh.handler',
    ]);
    expect(run.ofType('aws:iam/role:Role').map((role) => role.name)).toEqual([
      'KeeperRole',
      'RegistryRole',
      'RegistryRefreshSchedulerRole',
    ]);
  });

  it('runs the keeper on arm64 with small memory, for at most 15 minutes', () => {
    expect(keeperArgs(run)).toMatchObject({
      name: 'hybrid-runner-test-keeper',
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      memory: `${DEFAULT_KEEPER_MEMORY_MB} MB`,
      timeout: '900 seconds',
      role: `arn:aws:iam::${ACCOUNT_ID}:role/KeeperRole-role`,
    });
    expect(DEFAULT_KEEPER_MEMORY_MB).toBeLessThanOrEqual(256);
  });

  it('sizes the keeper from the stage, and the shortest timeout the stage accepts still leaves a tick before the lead', async () => {
    const sized = await deploy({
      ...outbound,
      bridge: { mode: 'outbound', outbound: { keeper: { memoryMb: 512, timeoutSeconds: 300 } } },
    });
    expect(keeperArgs(sized)).toMatchObject({ memory: '512 MB', timeout: '300 seconds' });
    // A keeper serves until its timeout less the drain reserve; its successor is started `leadMs` before then,
    // by a tick: the shortest keeper must live through one tick before its successor is due.
    const shortestMs = 300_000;
    expect(
      shortestMs - DEFAULT_KEEPER_TIMING.drainReserveMs - DEFAULT_TAKEOVER_POLICY.leadMs,
    ).toBeGreaterThanOrEqual(KEEPER_TICK_MS);
    // Two late or failed ticks inside the lead still start the successor in time.
    expect(DEFAULT_TAKEOVER_POLICY.leadMs).toBeGreaterThanOrEqual(2 * KEEPER_TICK_MS);
  });

  it('ticks the keeper every minute through EventBridge, without retries of stale ticks', () => {
    const rule = run.one('aws:cloudwatch/eventRule:EventRule', 'KeeperSchedule').inputs;
    expect(rule.scheduleExpression).toBe('rate(1 minute)');
    expect(run.one('aws:cloudwatch/eventTarget:EventTarget', 'KeeperTarget').inputs).toMatchObject({
      rule: 'KeeperSchedule-rule',
      arn: KEEPER_FUNCTION,
    });
    expect(run.one('aws:lambda/permission:Permission', 'KeeperPermission').inputs).toMatchObject({
      action: 'lambda:InvokeFunction',
      function: 'hybrid-runner-test-keeper',
      principal: 'events.amazonaws.com',
      sourceArn: `arn:aws:events:${ARN}:rule/KeeperSchedule-rule`,
    });
    expect(
      run.one('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig', 'KeeperInvokeConfig').inputs,
    ).toEqual({
      functionName: 'hybrid-runner-test-keeper',
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 60,
    });
    expect(run.ofType('aws:cloudwatch/eventRule:EventRule').map((r) => r.name)).not.toContain(
      'HeartbeatSchedule',
    );
  });

  it("gives the keeper the variables its context reads, and none of the WebSocket API's", () => {
    const environment = keeperArgs(run).environment as Record<string, string>;
    expect(environment).toMatchObject({
      [FUNCTION_ENV.outboundUrl]: 'wss://acme.getcollate.io/api/v1/hybrid-runner/ws',
      [FUNCTION_ENV.stateTable]: 'RunnerState-table',
      [FUNCTION_ENV.authTokenSecret]: AUTH_TOKEN_SECRET,
    });
    for (const variable of ['connectionsTable', 'managementEndpoint', 'rateLimit'] as const) {
      expect(environment, variable).not.toHaveProperty(FUNCTION_ENV[variable]);
    }
    expect(readFunctionEnvironment(environment)).toMatchObject({
      outboundUrl: 'wss://acme.getcollate.io/api/v1/hybrid-runner/ws',
      stateTable: 'RunnerState-table',
    });
  });

  it('grants the keeper exactly its state table, its token and the cluster lookup', () => {
    expect(keeperPolicyOf(run)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [`arn:aws:logs:${ARN}:log-group:/aws/lambda/hybrid-runner-test-keeper:*`],
        },
        {
          Sid: 'RunnerState',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: [STATE_TABLE],
        },
        {
          Sid: 'ReadRunnerToken',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [AUTH_TOKEN_SECRET],
        },
        {
          Sid: 'FindCluster',
          Effect: 'Allow',
          Action: ['eks:DescribeCluster'],
          Resource: [`arn:aws:eks:${ARN}:cluster/prod-eks`],
        },
      ],
    });
  });

  it('adds secret-reference checks under the prefix with managed-aws, and the previous token during a rotation', async () => {
    const managed = await deploy({
      ...outbound,
      secretsManager: { provider: 'managed-aws' },
      ingestionPods: { identity: 'pod-identity' },
      bridge: {
        mode: 'outbound',
        previousAuthToken: { sstSecret: 'OldCollateAuthToken', retireAt: '2026-12-31T00:00:00Z' },
      },
    });
    const statements = keeperPolicyOf(managed).Statement;
    expect(statements.find((s) => s.Sid === 'ReadRunnerToken')?.Resource).toEqual([
      AUTH_TOKEN_SECRET,
      `arn:aws:secretsmanager:${ARN}:secret:PreviousAuthTokenSecret-AbCdEf`,
    ]);
    expect(statements.find((s) => s.Sid === 'CheckSecretReferences')).toEqual({
      Sid: 'CheckSecretReferences',
      Effect: 'Allow',
      Action: ['secretsmanager:DescribeSecret'],
      Resource: [`arn:aws:secretsmanager:${ARN}:secret:/collate/hybrid-ingestion-runner/*`],
    });
    expect(keeperArgs(managed).environment).toMatchObject({
      [FUNCTION_ENV.previousAuthTokenSecret]: `arn:aws:secretsmanager:${ARN}:secret:PreviousAuthTokenSecret-AbCdEf`,
      [FUNCTION_ENV.previousAuthTokenRetireAt]: '2026-12-31T00:00:00.000Z',
    });
  });

  it("maps the keeper's role to the bridge's Kubernetes group (it runs the same operations)", () => {
    expect(run.one('aws:eks/accessEntry:AccessEntry', 'BridgeAccess').inputs).toMatchObject({
      clusterName: 'prod-eks',
      principalArn: `arn:aws:iam::${ACCOUNT_ID}:role/KeeperRole-role`,
      kubernetesGroups: [FUNCTION_GROUPS.bridge],
    });
  });

  it("lets the keeper's heartbeat pass start the registry refresh, and list namespaces, when the targets have patterns", async () => {
    const patterns = await deploy({ ...outbound, ecr: { targetNamespaces: { include: ['team-*'] } } });
    const environment = keeperArgs(patterns).environment as Record<string, string>;
    expect(environment[FUNCTION_ENV.registryRefreshFunction]).toBe('hybrid-runner-test-registry-refresh');
    expect(JSON.parse(environment[FUNCTION_ENV.registry] ?? '{}')).toMatchObject({ include: ['team-*'] });
    // What the keeper's heartbeat pass builds from exactly these variables.
    expect(newNamespacesCheck({ ...environment })).toMatchObject({
      settings: { ingestionNamespace: 'collate-ingestion', namespaces: ['team-*'] },
      refresh: expect.any(LambdaRegistryRefreshStarter),
    });
    expect(
      keeperPolicyOf(patterns).Statement.find((s) => s.Sid === 'StartRegistryRefreshForNewNamespaces'),
    ).toEqual({
      Sid: 'StartRegistryRefreshForNewNamespaces',
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: [`arn:aws:lambda:${ARN}:function:hybrid-runner-test-registry-refresh`],
    });
    // The keeper is in the bridge's group, which the namespace list is bound to.
    const binding = patterns.resources.find(
      (resource) =>
        resource.type.endsWith(':ClusterRoleBinding') &&
        (resource.inputs.metadata as { name: string }).name === 'hybrid-runner-bridge-namespaces',
    );
    expect(binding?.inputs.subjects).toEqual([
      { kind: 'Group', name: FUNCTION_GROUPS.bridge, apiGroup: 'rbac.authorization.k8s.io' },
    ]);
    // Exact targets cannot appear later: no check, no grant (the default stage above).
    expect(Object.keys(keeperArgs(run).environment as object)).not.toContain(
      FUNCTION_ENV.registryRefreshFunction,
    );
    expect(keeperPolicyOf(run).Statement.map((s) => s.Sid)).not.toContain(
      'StartRegistryRefreshForNewNamespaces',
    );
  });

  it('alarms on a refused dial-out and on keeper errors, and draws the keeper on the dashboard', () => {
    const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((alarm) => alarm.inputs.name);
    expect(alarms).toContain('hybrid-runner-test-outbound-dial-refused');
    expect(alarms).toContain('hybrid-runner-test-keeper-errors');
    expect(
      alarms.filter((name) => /-(connect|disconnect|message|heartbeat)-errors$/.test(String(name))),
    ).toEqual([]);
    const body = String(run.one('aws:cloudwatch/dashboard:Dashboard', 'Dashboard').inputs.dashboardBody);
    expect(body).toContain('hybrid-runner-test-keeper');
    expect(body).not.toContain('hybrid-runner-test-message');
    expect(body).not.toContain('Connections-table');
  });
});

describe('stack in inbound mode (Pulumi mocks), beside the outbound one', async () => {
  const run = await deploy({ serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } });

  it('has no keeper, no keeper tick and no dial-out alarm', () => {
    expect(run.ofType('standin:sst:aws:FunctionArgs').map((fn) => fn.inputs.handler)).not.toContain(
      'functions/bridge/keeper.handler',
    );
    expect(run.ofType('aws:iam/role:Role').map((role) => role.name)).not.toContain('KeeperRole');
    expect(run.ofType('aws:cloudwatch/eventRule:EventRule').map((rule) => rule.name)).not.toContain(
      'KeeperSchedule',
    );
    expect(
      run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((alarm) => alarm.inputs.name),
    ).not.toContain('hybrid-runner-test-outbound-dial-refused');
    expect(run.outputs.websocketUrl).toBe(`wss://api0123.execute-api.${REGION}.amazonaws.com/$default`);
  });
});
