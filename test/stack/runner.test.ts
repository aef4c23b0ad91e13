// The stack's resource graph and every IAM and RBAC document, offline (Pulumi mocks; see harness.ts for
// what this proves and what it cannot).
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENV, parseStageConfig, readFunctionEnvironment } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';
import { FUNCTION_GROUPS } from '../../stacks/cluster-access.ts';
import type { PolicyDocument, TrustDocument } from '../../stacks/iam-policies.ts';
import { ACCOUNT_ID, OIDC_ISSUER, REGION, runStack } from './harness.ts';
import type { StackRun } from './harness.ts';

const base: StageConfigInput = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } };
const ARN = `${REGION}:${ACCOUNT_ID}`;
const TABLES = {
  connections: `arn:aws:dynamodb:${ARN}:table/Connections-table`,
  state: `arn:aws:dynamodb:${ARN}:table/RunnerState-table`,
};
const AUTH_TOKEN_SECRET = `arn:aws:secretsmanager:${ARN}:secret:AuthTokenSecret-AbCdEf`;
const ECR_KEYS_SECRET = `arn:aws:secretsmanager:${ARN}:secret:EcrKeysSecret-AbCdEf`;
const CLUSTER = `arn:aws:eks:${ARN}:cluster/prod-eks`;

const deploy = (input: StageConfigInput) => runStack(parseStageConfig(input));

function policy(run: StackRun, name: string): PolicyDocument {
  return JSON.parse(run.one('aws:iam/rolePolicy:RolePolicy', name).inputs.policy as string) as PolicyDocument;
}
function trust(run: StackRun, name: string): TrustDocument {
  return JSON.parse(run.one('aws:iam/role:Role', name).inputs.assumeRolePolicy as string) as TrustDocument;
}
function statement(document: PolicyDocument, sid: string) {
  const found = document.Statement.find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(document)}`);
  return found;
}
function allPolicies(run: StackRun): PolicyDocument[] {
  return run
    .ofType('aws:iam/rolePolicy:RolePolicy')
    .map((resource) => JSON.parse(resource.inputs.policy as string));
}
function functionArgs(run: StackRun, id: string): Record<string, unknown> {
  return run.one('standin:sst:aws:FunctionArgs', `${id}Args`).inputs;
}
function k8s(run: StackRun, kind: string) {
  return run.resources.filter(
    (resource) => resource.type.startsWith('kubernetes:') && resource.type.endsWith(`:${kind}`),
  );
}

describe('stack with the chart defaults (Kubernetes secrets, no pod identity)', async () => {
  const run = await deploy(base);

  it('puts nothing of ours on the worker nodes: no Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod', () => {
    const workloads = run.resources.filter((resource) =>
      /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:(Job|CronJob)|core\/v1:Pod)$/.test(
        resource.type,
      ),
    );
    expect(workloads).toEqual([]);
    expect(run.resources.filter((resource) => resource.type.startsWith('kubernetes:helm'))).toEqual([]);
    const kinds = new Set(run.resources.filter((r) => r.type.startsWith('kubernetes:')).map((r) => r.type));
    expect([...kinds].sort()).toEqual([
      'kubernetes:core/v1:Namespace',
      'kubernetes:core/v1:ServiceAccount',
      'kubernetes:rbac.authorization.k8s.io/v1:Role',
      'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding',
    ]);
  });

  it('makes on-demand tables with TTL and point-in-time recovery, keyed as the adapters expect', () => {
    expect(run.one('aws:dynamodb/table:Table', 'Connections').inputs).toEqual({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'connectionId',
      attributes: [{ name: 'connectionId', type: 'S' }],
      ttl: { attributeName: 'ttl', enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
    expect(run.one('aws:dynamodb/table:Table', 'RunnerState').inputs).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      ttl: { attributeName: 'expiresAt', enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
  });

  it('routes $connect, $disconnect and $default to three nodejs24.x functions', () => {
    const routes = run.ofType('standin:sst:aws:ApiGatewayWebSocketRoute').map((route) => route.inputs);
    expect(routes).toEqual([
      { route: '$connect', handler: `arn:aws:lambda:${ARN}:function:hybrid-runner-test-connect` },
      { route: '$disconnect', handler: `arn:aws:lambda:${ARN}:function:hybrid-runner-test-disconnect` },
      { route: '$default', handler: `arn:aws:lambda:${ARN}:function:hybrid-runner-test-message` },
    ]);
    const handlers = Object.fromEntries(
      run
        .ofType('standin:sst:aws:FunctionArgs')
        .map((fn) => [fn.inputs.name, [fn.inputs.handler, fn.inputs.runtime]]),
    );
    expect(handlers).toEqual({
      'hybrid-runner-test-connect': ['functions/bridge/connect.handler', 'nodejs24.x'],
      'hybrid-runner-test-disconnect': ['functions/bridge/disconnect.handler', 'nodejs24.x'],
      'hybrid-runner-test-message': ['functions/bridge/message.handler', 'nodejs24.x'],
      'hybrid-runner-test-heartbeat': ['functions/schedule/heartbeat.handler', 'nodejs24.x'],
      'hybrid-runner-test-registry-refresh': ['functions/schedule/ecr-refresh.handler', 'nodejs24.x'],
    });
    expect(functionArgs(run, 'BridgeMessage')).toMatchObject({
      role: `arn:aws:iam::${ACCOUNT_ID}:role/BridgeRole-role`,
      timeout: '29 seconds',
    });
    expect(functionArgs(run, 'RegistryRefresh').role).toBe(
      `arn:aws:iam::${ACCOUNT_ID}:role/RegistryRole-role`,
    );
    expect(functionArgs(run, 'BridgeMessage').vpc).toBeUndefined();
  });

  it('takes the AWS SDK from the Lambda runtime for $connect and $disconnect only (bundle budget)', () => {
    const externals = Object.fromEntries(
      run
        .ofType('standin:sst:aws:FunctionArgs')
        .map((fn) => [
          fn.inputs.name,
          (fn.inputs.nodejs as { esbuild?: { external?: string[] } } | undefined)?.esbuild?.external,
        ]),
    );
    expect(externals).toEqual({
      'hybrid-runner-test-connect': ['@aws-sdk/*', '@smithy/*'],
      'hybrid-runner-test-disconnect': ['@aws-sdk/*', '@smithy/*'],
      'hybrid-runner-test-message': [],
      'hybrid-runner-test-heartbeat': [],
      'hybrid-runner-test-registry-refresh': [],
    });
  });

  it('gives the handlers an environment their reader accepts, without any secret value', () => {
    const environment = functionArgs(run, 'Heartbeat').environment as Record<string, string>;
    const read = readFunctionEnvironment(environment);
    expect(read).toMatchObject({
      clusterName: 'prod-eks',
      clusterRegion: REGION,
      connectionsTable: 'Connections-table',
      stateTable: 'RunnerState-table',
      authTokenSecret: AUTH_TOKEN_SECRET,
      managementEndpoint: `https://api0123.execute-api.${REGION}.amazonaws.com/$default`,
    });
    expect(read.settings).toMatchObject({ agentId: 'RemoteRunner', namespace: 'collate-ingestion' });
    // The dimensions the alarms select on, and tracing off unless the stage asks for it.
    expect(environment).toMatchObject({
      HYBRID_RUNNER_STAGE: 'test',
      HYBRID_RUNNER_AGENT_ID: 'RemoteRunner',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'CollateHybridRunner',
    });
    const alarmDimensions = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((alarm) => alarm.inputs);
    expect(alarmDimensions).toContainEqual(
      expect.objectContaining({
        namespace: 'CollateHybridRunner',
        dimensions: { stage: 'test', agentId: 'RemoteRunner' },
      }),
    );
    const registryEnvironment = functionArgs(run, 'RegistryRefresh').environment as Record<string, string>;
    expect(JSON.parse(registryEnvironment[FUNCTION_ENV.registry] as string)).toEqual({
      registry: '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      pullSecretName: 'omd-registry-credentials',
      include: ['collate-ingestion'],
      exclude: [],
      patchServiceAccount: false,
      serviceAccounts: ['ingestion'],
    });
    expect(registryEnvironment[FUNCTION_ENV.ecrKeysSecret]).toBe(ECR_KEYS_SECRET);
    const everyEnvironment = JSON.stringify(
      run.ofType('standin:sst:aws:FunctionArgs').map((fn) => fn.inputs.environment),
    );
    expect(everyEnvironment).not.toContain('stand-in value');
  });

  it('stores the SST secrets in Secrets Manager as secret outputs', () => {
    const versions = run.ofType('aws:secretsmanager/secretVersion:SecretVersion');
    expect(versions.map((version) => version.name).sort()).toEqual([
      'AuthTokenSecretVersion',
      'EcrKeysSecretVersion',
    ]);
    for (const version of versions) {
      // Pulumi's secret marker: the value is encrypted in the state, never shown in plain diffs.
      expect(version.inputs.secretString).toMatchObject({
        '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
      });
    }
  });

  it('runs the heartbeat every minute and the registry refresh every 4 hours within a 10-minute flexible window, and once after deploy', () => {
    expect(run.one('aws:cloudwatch/eventRule:EventRule', 'HeartbeatSchedule').inputs.scheduleExpression).toBe(
      'rate(1 minute)',
    );
    // The registry refresh is spread by Scheduler's flexible window (no EventBridge rule, no sleep).
    expect(run.ofType('aws:cloudwatch/eventRule:EventRule').map((rule) => rule.name)).toEqual([
      'HeartbeatSchedule',
    ]);
    const refreshSchedule = run.one('aws:scheduler/schedule:Schedule', 'RegistryRefreshSchedule').inputs;
    expect(refreshSchedule).toMatchObject({
      scheduleExpression: 'rate(4 hours)',
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 10 },
      target: {
        arn: `arn:aws:lambda:${ARN}:function:hybrid-runner-test-registry-refresh`,
        roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/RegistryRefreshSchedulerRole-role`,
      },
    });
    expect(JSON.parse((refreshSchedule.target as { input: string }).input)).toEqual({ trigger: 'schedule' });
    // Its execution role may invoke that one function, and only Scheduler of this account may assume it.
    expect(policy(run, 'RegistryRefreshSchedulerRolePolicy').Statement).toEqual([
      {
        Sid: 'InvokeScheduledFunction',
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: [`arn:aws:lambda:${ARN}:function:hybrid-runner-test-registry-refresh`],
      },
    ]);
    expect(
      JSON.parse(
        String(run.one('aws:iam/role:Role', 'RegistryRefreshSchedulerRole').inputs.assumeRolePolicy),
      ),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: ['sts:AssumeRole'],
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT_ID } },
        },
      ],
    });
    // The function no longer waits, so its timeout is its work budget alone.
    expect(run.one('standin:sst:aws:FunctionArgs', 'RegistryRefreshArgs').inputs.timeout).toBe('120 seconds');
    expect(run.one('aws:cloudwatch/eventTarget:EventTarget', 'HeartbeatTarget').inputs.arn).toBe(
      `arn:aws:lambda:${ARN}:function:hybrid-runner-test-heartbeat`,
    );
    expect(run.one('aws:lambda/permission:Permission', 'HeartbeatPermission').inputs).toEqual({
      action: 'lambda:InvokeFunction',
      function: 'hybrid-runner-test-heartbeat',
      principal: 'events.amazonaws.com',
      sourceArn: `arn:aws:events:${ARN}:rule/HeartbeatSchedule-rule`,
    });
    const invocation = run.one('aws:lambda/invocation:Invocation', 'RegistryRefreshAfterDeploy').inputs;
    expect(invocation.functionName).toBe('hybrid-runner-test-registry-refresh');
    expect(JSON.parse(invocation.input as string)).toEqual({ source: 'deploy' });
  });

  it('grants the bridge role exactly its tables, this API, its token secret and the one cluster', () => {
    const bridge = policy(run, 'BridgeRolePolicy');
    expect(bridge.Statement.map((s) => s.Sid)).toEqual([
      'WriteOwnLogs',
      'Connections',
      'CountRequestsPerConnection',
      'RunnerState',
      'ReplyOnThisApiOnly',
      'ReadRunnerToken',
      'FindCluster',
    ]);
    expect(statement(bridge, 'WriteOwnLogs').Resource).toEqual(
      ['connect', 'disconnect', 'message', 'heartbeat'].map(
        (fn) => `arn:aws:logs:${ARN}:log-group:/aws/lambda/hybrid-runner-test-${fn}:*`,
      ),
    );
    // GetItem: the rate limit reads a throttled connection's window to say when to retry.
    expect(statement(bridge, 'Connections')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'],
      Resource: [TABLES.connections],
    });
    // UpdateItem on a connection only for the rate limit's counters: never its agent id, source or TTL.
    expect(statement(bridge, 'CountRequestsPerConnection')).toEqual({
      Sid: 'CountRequestsPerConnection',
      Effect: 'Allow',
      Action: ['dynamodb:UpdateItem'],
      Resource: [TABLES.connections],
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['connectionId', 'rateWindow', 'rateCount'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
    expect(statement(bridge, 'RunnerState')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: [TABLES.state],
    });
    expect(statement(bridge, 'ReplyOnThisApiOnly')).toMatchObject({
      Action: ['execute-api:ManageConnections'],
      Resource: [`arn:aws:execute-api:${ARN}:api0123/$default/POST/@connections/*`],
    });
    expect(statement(bridge, 'ReadRunnerToken')).toMatchObject({
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [AUTH_TOKEN_SECRET],
    });
    expect(statement(bridge, 'FindCluster')).toMatchObject({
      Action: ['eks:DescribeCluster'],
      Resource: [CLUSTER],
    });
  });

  it("grants the registry role its keys and the cluster, no ECR permission (Collate's keys log in), and no *", () => {
    const registry = policy(run, 'RegistryRolePolicy');
    expect(registry.Statement.map((s) => s.Sid)).toEqual([
      'WriteOwnLogs',
      'ReadCollateRegistryKeys',
      'FindCluster',
    ]);
    expect(statement(registry, 'ReadCollateRegistryKeys').Resource).toEqual([ECR_KEYS_SECRET]);
    expect(statement(registry, 'FindCluster').Resource).toEqual([CLUSTER]);
    const wildcards = allPolicies(run).flatMap((document) =>
      document.Statement.filter((s) => s.Resource.includes('*') || s.Action.some((a) => a.includes('*'))),
    );
    expect(wildcards).toEqual([]);
  });

  it('lets only Lambda assume the function roles', () => {
    for (const name of ['BridgeRole', 'RegistryRole']) {
      expect(trust(run, name).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] },
      ]);
    }
  });

  it('maps each role to its own Kubernetes group through an EKS access entry', () => {
    const entries = run.ofType('aws:eks/accessEntry:AccessEntry').map((entry) => entry.inputs);
    expect(entries).toEqual([
      {
        clusterName: 'prod-eks',
        principalArn: `arn:aws:iam::${ACCOUNT_ID}:role/BridgeRole-role`,
        kubernetesGroups: [FUNCTION_GROUPS.bridge],
        type: 'STANDARD',
      },
      {
        clusterName: 'prod-eks',
        principalArn: `arn:aws:iam::${ACCOUNT_ID}:role/RegistryRole-role`,
        kubernetesGroups: [FUNCTION_GROUPS.registry],
        type: 'STANDARD',
      },
    ]);
  });

  it('binds namespaced Roles only: bridge, executor (plus secret reads for Kubernetes secrets) and registry', () => {
    const roles = Object.fromEntries(
      k8s(run, 'Role').map((role) => [(role.inputs.metadata as { name: string }).name, role.inputs]),
    );
    expect(Object.keys(roles).sort()).toEqual([
      'hybrid-runner-bridge',
      'hybrid-runner-executor',
      'hybrid-runner-registry',
    ]);
    // Written out, not imported: a widened rule must fail here.
    expect(roles['hybrid-runner-bridge']?.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      {
        apiGroups: ['argoproj.io'],
        resources: ['cronworkflows'],
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      },
      { apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create', 'delete', 'list', 'patch'] },
    ]);
    expect(roles['hybrid-runner-executor']?.rules).toEqual([
      { apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    expect(roles['hybrid-runner-registry']?.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get', 'update', 'patch'],
        resourceNames: ['omd-registry-credentials'],
      },
    ]);
    const allRules = k8s(run, 'Role').flatMap(
      (role) => role.inputs.rules as Array<{ verbs: string[]; resources: string[] }>,
    );
    expect(allRules.some((rule) => rule.verbs.includes('*') || rule.resources.includes('*'))).toBe(false);
    const subjects = Object.fromEntries(
      k8s(run, 'RoleBinding').map((binding) => [
        (binding.inputs.metadata as { name: string }).name,
        binding.inputs.subjects,
      ]),
    );
    expect(subjects).toEqual({
      'hybrid-runner-bridge': [
        { kind: 'Group', name: FUNCTION_GROUPS.bridge, apiGroup: 'rbac.authorization.k8s.io' },
      ],
      'hybrid-runner-executor': [
        { kind: 'ServiceAccount', name: 'ingestion', namespace: 'collate-ingestion' },
      ],
      'hybrid-runner-registry': [
        { kind: 'Group', name: FUNCTION_GROUPS.registry, apiGroup: 'rbac.authorization.k8s.io' },
      ],
    });
  });

  it('makes the ingestion namespace and service account, without an IAM role for the pods', () => {
    expect(k8s(run, 'ServiceAccount')[0]?.inputs.metadata).toEqual({
      name: 'ingestion',
      namespace: 'collate-ingestion',
      annotations: {},
    });
    expect(
      run
        .ofType('aws:iam/role:Role')
        .map((role) => role.name)
        .sort(),
    ).toEqual(['BridgeRole', 'RegistryRefreshSchedulerRole', 'RegistryRole']);
  });

  it('outputs the WebSocket URL, the agent id and the dashboard URL', () => {
    expect(run.outputs).toMatchObject({
      websocketUrl: `wss://api0123.execute-api.${REGION}.amazonaws.com/$default`,
      agentId: 'RemoteRunner',
      dashboardUrl: `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/hybrid-runner-test`,
    });
  });
});

describe('stack with Secrets Manager, IRSA, a private cluster, tracing, Argo and wildcard registry targets', async () => {
  const run = await deploy({
    ...base,
    cluster: { name: 'prod-eks', region: REGION },
    secretsManager: { provider: 'managed-aws' },
    ingestionPods: { identity: 'irsa' },
    vpc: { subnetIds: ['subnet-0a', 'subnet-0b'], securityGroupIds: ['sg-0c'] },
    observability: { tracing: true },
    argo: { install: true, values: { controller: { workflowNamespaces: ['collate-ingestion'] } } },
    ecr: {
      targetNamespaces: { include: ['collate-*'], exclude: ['collate-sandbox'] },
      patchServiceAccount: true,
    },
  });
  const prefix = `arn:aws:secretsmanager:${ARN}:secret:/collate/hybrid-ingestion-runner/*`;

  it('lets only the ingestion service account assume the pods role, through the cluster OIDC provider', () => {
    const issuer = OIDC_ISSUER.replace('https://', '');
    expect(trust(run, 'IngestionPodsRole').Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${issuer}` },
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: 'system:serviceaccount:collate-ingestion:ingestion',
            [`${issuer}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ]);
    expect(k8s(run, 'ServiceAccount')[0]?.inputs.metadata).toMatchObject({
      annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${ACCOUNT_ID}:role/IngestionPodsRole-role` },
    });
  });

  it('scopes the pods to reading secrets under the prefix, and the bridge to describing them', () => {
    expect(policy(run, 'IngestionPodsPolicy').Statement).toEqual([
      {
        Sid: 'ReadRunnerSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: [prefix],
      },
    ]);
    expect(statement(policy(run, 'BridgeRolePolicy'), 'CheckSecretReferences')).toMatchObject({
      Action: ['secretsmanager:DescribeSecret'],
      Resource: [prefix],
    });
  });

  it('places the functions in the VPC with tracing, and allows * only where IAM has no scoping', () => {
    for (const id of ['BridgeConnect', 'BridgeDisconnect', 'BridgeMessage', 'Heartbeat', 'RegistryRefresh']) {
      expect(functionArgs(run, id)).toMatchObject({
        vpc: { privateSubnets: ['subnet-0a', 'subnet-0b'], securityGroups: ['sg-0c'] },
        transform: { function: { tracingConfig: { mode: 'Active' } } },
        environment: expect.objectContaining({ POWERTOOLS_TRACE_ENABLED: 'true' }),
      });
    }
    const wildcardActions = allPolicies(run)
      .flatMap((document) => document.Statement.filter((s) => s.Resource.includes('*')))
      .flatMap((s) => s.Action);
    expect([...new Set(wildcardActions)].sort()).toEqual([
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:UnassignPrivateIpAddresses',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(
      allPolicies(run)
        .flatMap((d) => d.Statement.flatMap((s) => s.Action))
        .some((a) => a.includes('*')),
    ).toBe(false);
  });

  it('installs Argo Workflows 3.7 from its chart, with the published choices and the stage values', () => {
    const release = run.one('kubernetes:helm.sh/v3:Release', 'ArgoWorkflows').inputs;
    expect(release).toMatchObject({
      chart: 'argo-workflows',
      version: '0.45.26',
      namespace: 'argo-workflows',
      repositoryOpts: { repo: 'https://argoproj.github.io/argo-helm' },
      values: {
        fullnameOverride: 'argo-workflows',
        crds: { install: true },
        controller: {
          serviceAccount: { create: true, name: 'argo-workflows-controller-sa' },
          workflowNamespaces: ['collate-ingestion'],
        },
        server: { extraArgs: ['--auth-mode=client'] },
      },
    });
    expect(
      k8s(run, 'Namespace')
        .map((ns) => (ns.inputs.metadata as { name: string }).name)
        .sort(),
    ).toEqual(['argo-workflows', 'collate-ingestion']);
  });

  it('serves registry patterns with one ClusterRole limited to the pull secret, namespaces and service accounts', () => {
    const clusterRoles = (name: string) =>
      k8s(run, 'ClusterRole').filter((role) => (role.inputs.metadata as { name: string }).name === name);
    // The bridge's (the heartbeat's new-namespace check) may only list namespaces.
    expect(clusterRoles('hybrid-runner-bridge-namespaces').map((role) => role.inputs.rules)).toEqual([
      [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }],
    ]);
    expect(clusterRoles('hybrid-runner-registry').map((role) => role.inputs.rules)).toEqual([
      [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          verbs: ['get', 'update', 'patch'],
          resourceNames: ['omd-registry-credentials'],
        },
        {
          apiGroups: [''],
          resources: ['serviceaccounts'],
          verbs: ['get', 'patch'],
          resourceNames: ['ingestion'],
        },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] },
      ],
    ]);
    expect(
      k8s(run, 'ClusterRoleBinding').map((binding) => [
        (binding.inputs.metadata as { name: string }).name,
        binding.inputs.subjects,
      ]),
    ).toEqual([
      [
        'hybrid-runner-bridge-namespaces',
        [{ kind: 'Group', name: FUNCTION_GROUPS.bridge, apiGroup: 'rbac.authorization.k8s.io' }],
      ],
      [
        'hybrid-runner-registry',
        [{ kind: 'Group', name: FUNCTION_GROUPS.registry, apiGroup: 'rbac.authorization.k8s.io' }],
      ],
    ]);
    // Ingestion pods read secrets from Secrets Manager here, not from Kubernetes.
    const executor = k8s(run, 'Role').find(
      (role) => (role.inputs.metadata as { name: string }).name === 'hybrid-runner-executor',
    );
    expect(executor?.inputs.rules).toEqual([
      { apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] },
    ]);
  });
});

describe('stack variants', () => {
  it('associates the pods role through EKS Pod Identity, without an IRSA annotation', async () => {
    const run = await deploy({
      ...base,
      secretsManager: { provider: 'managed-aws' },
      ingestionPods: { identity: 'pod-identity' },
    });
    // Only this cluster's ingestion service account may use the role (Pod Identity's session tags).
    expect(trust(run, 'IngestionPodsRole').Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': ACCOUNT_ID,
            'aws:RequestTag/eks-cluster-name': 'prod-eks',
            'aws:RequestTag/kubernetes-namespace': 'collate-ingestion',
            'aws:RequestTag/kubernetes-service-account': 'ingestion',
          },
        },
      },
    ]);
    expect(
      run.one('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'IngestionPodIdentity').inputs,
    ).toEqual({
      clusterName: 'prod-eks',
      namespace: 'collate-ingestion',
      serviceAccount: 'ingestion',
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/IngestionPodsRole-role`,
    });
    expect(k8s(run, 'ServiceAccount')[0]?.inputs.metadata).toMatchObject({ annotations: {} });
  });

  it('uses a given IRSA role and existing secrets by ARN instead of making them', async () => {
    const tokenArn = `arn:aws:secretsmanager:${ARN}:secret:collate/bot-jwt-Zz9Yx8`;
    const run = await deploy({
      ...base,
      authToken: { secretArn: tokenArn },
      secretsManager: { provider: 'managed-aws' },
      ingestionPods: {
        identity: 'irsa',
        serviceAccount: {
          annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/own' },
        },
      },
      ecr: { enabled: false },
    });
    expect(run.ofType('aws:iam/role:Role').map((role) => role.name)).toEqual(['BridgeRole']);
    expect(run.ofType('aws:secretsmanager/secret:Secret')).toEqual([]);
    expect(statement(policy(run, 'BridgeRolePolicy'), 'ReadRunnerToken').Resource).toEqual([tokenArn]);
    expect(k8s(run, 'ServiceAccount')[0]?.inputs.metadata).toMatchObject({
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/own' },
    });
  });

  it('leaves out the registry function, its role, schedule, RBAC and deploy-time run when ECR is disabled', async () => {
    const run = await deploy({ ...base, ecr: { enabled: false } });
    expect(run.resources.filter((resource) => /Registry|EcrKeys/.test(resource.name))).toEqual([]);
    expect(run.ofType('aws:lambda/invocation:Invocation')).toEqual([]);
    expect(
      k8s(run, 'Role')
        .map((role) => (role.inputs.metadata as { name: string }).name)
        .sort(),
    ).toEqual(['hybrid-runner-bridge', 'hybrid-runner-executor']);
  });

  it('gives only the connect function the JWT verification variables its authorizer reads, when configured', async () => {
    const jwks = { url: 'https://acme.getcollate.io/api/v1/system/config/jwks', issuer: 'open-metadata.org' };
    const run = await deploy({ ...base, bridge: { jwks } });
    // The authorizer reads them back through readFunctionEnvironment: the names cannot disagree.
    expect(
      readFunctionEnvironment(functionArgs(run, 'BridgeConnect').environment as Record<string, string>).jwks,
    ).toEqual(jwks);
    for (const id of ['BridgeDisconnect', 'BridgeMessage', 'Heartbeat', 'RegistryRefresh']) {
      expect(Object.keys(functionArgs(run, id).environment as object)).not.toContain(FUNCTION_ENV.jwksUrl);
    }
    const withoutIssuer = await deploy({ ...base, bridge: { jwks: { url: jwks.url } } });
    const environment = functionArgs(withoutIssuer, 'BridgeConnect').environment as Record<string, string>;
    expect(readFunctionEnvironment(environment).jwks).toEqual({ url: jwks.url });
    expect(Object.keys(environment)).not.toContain(FUNCTION_ENV.jwtIssuer);
    const unverified = await deploy(base);
    expect(Object.keys(functionArgs(unverified, 'BridgeConnect').environment as object)).not.toContain(
      FUNCTION_ENV.jwksUrl,
    );
  });

  it('sets the inbound hardening: CIDRs on connect only, the rate limit and a rotation on every bridge function', async () => {
    const run = await deploy({
      ...base,
      bridge: {
        allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
        rateLimit: { requests: 20, intervalSeconds: 5 },
        previousAuthToken: { sstSecret: 'CollateAuthTokenOld', retireAt: '2026-12-10T09:00:00Z' },
      },
    });
    const previousArn = `arn:aws:secretsmanager:${ARN}:secret:PreviousAuthTokenSecret-AbCdEf`;
    const read = (id: string) =>
      readFunctionEnvironment(functionArgs(run, id).environment as Record<string, string>);
    expect(read('BridgeConnect').allowedSourceCidrs).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    for (const id of ['BridgeConnect', 'BridgeDisconnect', 'BridgeMessage', 'Heartbeat']) {
      expect(read(id).rateLimit).toEqual({ requests: 20, intervalMs: 5000 });
      expect(read(id).previousAuthToken).toEqual({
        secretArn: previousArn,
        retireAt: new Date('2026-12-10T09:00:00Z'),
      });
    }
    for (const id of ['BridgeDisconnect', 'BridgeMessage', 'Heartbeat', 'RegistryRefresh']) {
      expect(Object.keys(functionArgs(run, id).environment as object)).not.toContain(
        FUNCTION_ENV.allowedSourceCidrs,
      );
    }
    // Only the bridge role reads the previous token, and only during the rotation.
    expect(statement(policy(run, 'BridgeRolePolicy'), 'ReadRunnerToken').Resource).toEqual([
      AUTH_TOKEN_SECRET,
      previousArn,
    ]);
    expect(JSON.stringify(policy(run, 'RegistryRolePolicy'))).not.toContain('PreviousAuthToken');
    const plain = await deploy(base);
    expect(statement(policy(plain, 'BridgeRolePolicy'), 'ReadRunnerToken').Resource).toEqual([
      AUTH_TOKEN_SECRET,
    ]);
    expect(plain.resources.filter((resource) => resource.name.startsWith('PreviousAuthToken'))).toEqual([]);
    expect(
      readFunctionEnvironment(functionArgs(plain, 'BridgeMessage').environment as Record<string, string>)
        .rateLimit,
    ).toEqual({
      requests: 600,
      intervalMs: 60_000,
    });
  });

  it('gives each exact registry target namespace its own Role, skipping excluded ones', async () => {
    const run = await deploy({
      ...base,
      ecr: { targetNamespaces: { include: ['collate-ingestion', 'team-a', 'team-b'], exclude: ['team-b'] } },
    });
    const registryRoles = k8s(run, 'Role')
      .map((role) => role.inputs.metadata as { name: string; namespace: string })
      .filter((metadata) => metadata.name === 'hybrid-runner-registry')
      .map((metadata) => metadata.namespace);
    expect(registryRoles).toEqual(['collate-ingestion', 'team-a']);
    expect(k8s(run, 'ClusterRole')).toEqual([]);
    // Exact names cannot appear later: the heartbeat gets no new-namespace check, nor its grant.
    expect(Object.keys(functionArgs(run, 'Heartbeat').environment as object)).not.toContain(
      FUNCTION_ENV.registryRefreshFunction,
    );
    expect(policy(run, 'BridgeRolePolicy').Statement.map((s) => s.Sid)).not.toContain(
      'StartRegistryRefreshForNewNamespaces',
    );
  });

  it('lets the heartbeat start the registry refresh, and list namespaces, when the targets have patterns', async () => {
    const run = await deploy({ ...base, ecr: { targetNamespaces: { include: ['team-*'] } } });
    const environment = functionArgs(run, 'Heartbeat').environment as Record<string, string>;
    expect(environment[FUNCTION_ENV.registryRefreshFunction]).toBe('hybrid-runner-test-registry-refresh');
    expect(JSON.parse(environment[FUNCTION_ENV.registry] ?? '{}')).toMatchObject({ include: ['team-*'] });
    // Only the heartbeat: the other bridge functions share the role but not the check.
    for (const id of ['BridgeConnect', 'BridgeDisconnect', 'BridgeMessage']) {
      expect(Object.keys(functionArgs(run, id).environment as object)).not.toContain(
        FUNCTION_ENV.registryRefreshFunction,
      );
    }
    expect(statement(policy(run, 'BridgeRolePolicy'), 'StartRegistryRefreshForNewNamespaces')).toEqual({
      Sid: 'StartRegistryRefreshForNewNamespaces',
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: [`arn:aws:lambda:${ARN}:function:hybrid-runner-test-registry-refresh`],
    });
    const bridgeClusterRole = k8s(run, 'ClusterRole').find(
      (role) => (role.inputs.metadata as { name: string }).name === 'hybrid-runner-bridge-namespaces',
    );
    expect(bridgeClusterRole?.inputs.rules).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
    ]);
  });
});
