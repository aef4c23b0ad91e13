// IAM documents of the stack as plain data, built from resolved ARNs so they can be checked without AWS.
// Least privilege: every statement names its resources. The only `*` resources are actions AWS offers no
// resource-level scoping for, and each appears only when its feature is on (see WILDCARD_ACTIONS).
import { RATE_LIMIT_ATTRIBUTES, connectionsTableDefinition } from '@hybrid-runner/aws';
import type { StageConfig } from '@hybrid-runner/config';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface TrustStatement {
  Effect: 'Allow';
  Principal: Record<string, string>;
  Action: string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface TrustDocument {
  Version: '2012-10-17';
  Statement: TrustStatement[];
}

/** Actions that only accept `Resource: "*"` in IAM. */
export const WILDCARD_ACTIONS = {
  tracing: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  vpcNetworking: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
} as const;

export const CONNECTION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
] as const;
/** The attributes the rate limit's UpdateItem names: the key and the two counters. */
export const RATE_LIMIT_COUNTER_ATTRIBUTES = [
  connectionsTableDefinition.partitionKey,
  RATE_LIMIT_ATTRIBUTES.window,
  RATE_LIMIT_ATTRIBUTES.count,
] as const;
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

export interface AccountContext {
  partition: string;
  region: string;
  accountId: string;
}

/** `arn:…:secret:<prefix>*`: every secret whose name starts with the prefix (the IAM-enforced scope). */
export function secretPrefixArn(account: AccountContext, prefix: string, region = account.region): string {
  return `arn:${account.partition}:secretsmanager:${region}:${account.accountId}:secret:${prefix}*`;
}

export function clusterArn(account: AccountContext, clusterName: string, region = account.region): string {
  return `arn:${account.partition}:eks:${region}:${account.accountId}:cluster/${clusterName}`;
}

export function lambdaTrustPolicy(): TrustDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] },
    ],
  };
}

/**
 * EventBridge Scheduler's execution role: only the scheduler service, and only for schedules of this
 * account (aws:SourceAccount, as AWS's confused-deputy guidance for Scheduler advises).
 */
export function schedulerTrustPolicy(account: AccountContext): TrustDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'aws:SourceAccount': account.accountId } },
      },
    ],
  };
}

/** What a schedule's execution role may do: invoke its one target function, nothing else. */
export function scheduledInvokePolicy(functionArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'InvokeScheduledFunction',
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: [functionArn],
      },
    ],
  };
}

function logStatement(account: AccountContext, functionNames: string[]): PolicyStatement {
  return {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: functionNames.map(
      (name) =>
        `arn:${account.partition}:logs:${account.region}:${account.accountId}:log-group:/aws/lambda/${name}:*`,
    ),
  };
}

function optionalStatements(options: { tracing: boolean; vpc: boolean }): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (options.tracing) {
    statements.push({
      Sid: 'Tracing',
      Effect: 'Allow',
      Action: [...WILDCARD_ACTIONS.tracing],
      Resource: ['*'],
    });
  }
  if (options.vpc) {
    statements.push({
      Sid: 'VpcNetworkInterfaces',
      Effect: 'Allow',
      Action: [...WILDCARD_ACTIONS.vpcNetworking],
      Resource: ['*'],
    });
  }
  return statements;
}

/** What the bridge and the keeper share: the runner-state table's rights. */
function runnerStateStatement(stateTableArn: string): PolicyStatement {
  return { Sid: 'RunnerState', Effect: 'Allow', Action: [...STATE_TABLE_ACTIONS], Resource: [stateTableArn] };
}

/** The bot token (and during a rotation the previous one), and this cluster's lookup: bridge and keeper. */
function tokenAndClusterStatements(input: {
  account: AccountContext;
  authTokenSecretArn: string;
  previousAuthTokenSecretArn?: string;
  clusterName: string;
  clusterRegion: string;
}): PolicyStatement[] {
  return [
    {
      Sid: 'ReadRunnerToken',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [
        input.authTokenSecretArn,
        ...(input.previousAuthTokenSecretArn ? [input.previousAuthTokenSecretArn] : []),
      ],
    },
    {
      Sid: 'FindCluster',
      Effect: 'Allow',
      Action: ['eks:DescribeCluster'],
      Resource: [clusterArn(input.account, input.clusterName, input.clusterRegion)],
    },
  ];
}

/** DescribeSecret on the prefix, for secret-reference checks (managed-aws only). */
function secretReferencesStatement(secretReferencePrefixArn: string): PolicyStatement {
  return {
    Sid: 'CheckSecretReferences',
    Effect: 'Allow',
    Action: ['secretsmanager:DescribeSecret'],
    Resource: [secretReferencePrefixArn],
  };
}

/** The resolved ARNs a bridge-side policy (bridge or keeper) names besides its own tables and API. */
export interface RunnerPolicyArns {
  authTokenSecretArn: string;
  /** Empty when no rotation is under way. */
  previousAuthTokenSecretArn: string;
  /** Empty without logs.archive. */
  archivedLogsArn: string;
}

/** What the bridge's and the keeper's policies both grant from (either role runs the same operations). */
export interface RunnerPolicyRights {
  account: AccountContext;
  authTokenSecretArn: string;
  /** During a bot token rotation: the previous token's secret, readable until the stage drops it. */
  previousAuthTokenSecretArn?: string;
  clusterName: string;
  clusterRegion: string;
  /** DescribeSecret on the prefix for secret-reference checks; only with managed-aws. */
  secretReferencePrefixArn?: string;
  /** GetObject on the archived logs of the ingestion namespace (logArchiveObjectsArn); only with logs.archive. */
  archivedLogsArn?: string;
  /** The heartbeat pass starts this function for new namespaces; only with pattern registry targets. */
  registryRefreshFunctionName?: string;
  tracing: boolean;
  vpc: boolean;
}

/**
 * What the bridge's and the keeper's policy inputs share, from the stage: the bot token(s), the cluster, the
 * secret-reference prefix (managed-aws only), the archived logs, tracing and VPC.
 */
export function runnerPolicyRights(
  config: StageConfig,
  account: AccountContext,
  clusterRegion: string,
  arns: RunnerPolicyArns,
  vpc: boolean,
): RunnerPolicyRights {
  return {
    account,
    authTokenSecretArn: arns.authTokenSecretArn,
    ...(arns.previousAuthTokenSecretArn
      ? { previousAuthTokenSecretArn: arns.previousAuthTokenSecretArn }
      : {}),
    clusterName: config.cluster.name,
    clusterRegion,
    ...(config.secretsManager.provider === 'managed-aws'
      ? {
          secretReferencePrefixArn: secretPrefixArn(
            account,
            config.secretsManager.prefix,
            config.secretsManager.region ?? clusterRegion,
          ),
        }
      : {}),
    ...(arns.archivedLogsArn ? { archivedLogsArn: arns.archivedLogsArn } : {}),
    tracing: config.observability.tracing,
    vpc,
  };
}

export interface BridgePolicyInput extends RunnerPolicyRights {
  /** connect, disconnect, message and heartbeat: they share this role. */
  functionNames: string[];
  connectionsTableArn: string;
  stateTableArn: string;
  /** `arn:…:execute-api:<region>:<account>:<apiId>`. */
  apiExecutionArn: string;
  /** The WebSocket API's stage (the last segment of its management endpoint; SST deploys `$default`). */
  apiStage: string;
}

/** The bridge and heartbeat functions: connections, idempotency, replies, the token, the cluster. */
export function bridgePolicy(input: BridgePolicyInput): PolicyDocument {
  const statements: PolicyStatement[] = [
    logStatement(input.account, input.functionNames),
    {
      Sid: 'Connections',
      Effect: 'Allow',
      Action: [...CONNECTION_TABLE_ACTIONS],
      Resource: [input.connectionsTableArn],
    },
    {
      // The per-connection rate limit counts on the connection's item: UpdateItem may touch only the key and
      // the two counter attributes, and return nothing, so it cannot rewrite a record's agent id or TTL.
      Sid: 'CountRequestsPerConnection',
      Effect: 'Allow',
      Action: ['dynamodb:UpdateItem'],
      Resource: [input.connectionsTableArn],
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...RATE_LIMIT_COUNTER_ATTRIBUTES] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    },
    runnerStateStatement(input.stateTableArn),
    {
      // This stage only, and POST (PostToConnection) only: the code never gets or deletes a connection.
      Sid: 'ReplyOnThisApiOnly',
      Effect: 'Allow',
      Action: ['execute-api:ManageConnections'],
      Resource: [`${input.apiExecutionArn}/${input.apiStage}/POST/@connections/*`],
    },
    ...tokenAndClusterStatements(input),
  ];
  if (input.secretReferencePrefixArn)
    statements.push(secretReferencesStatement(input.secretReferencePrefixArn));
  if (input.registryRefreshFunctionName)
    statements.push(startRegistryRefreshStatement(input.account, input.registryRefreshFunctionName));
  if (input.archivedLogsArn) statements.push(readArchivedLogsStatement(input.archivedLogsArn));
  return { Version: '2012-10-17', Statement: [...statements, ...optionalStatements(input)] };
}

/**
 * The heartbeat pass (the heartbeat function's, or the keeper's) starts the registry refresh for namespaces
 * created since its last run: that function only, and only with pattern registry targets.
 */
function startRegistryRefreshStatement(account: AccountContext, functionName: string): PolicyStatement {
  const { partition, region, accountId } = account;
  return {
    Sid: 'StartRegistryRefreshForNewNamespaces',
    Effect: 'Allow',
    Action: ['lambda:InvokeFunction'],
    Resource: [`arn:${partition}:lambda:${region}:${accountId}:function:${functionName}`],
  };
}

/**
 * Ranged GetObject on the ingestion namespace's archived logs (HeadObject needs no more). No ListBucket: the
 * key comes from the Workflow's status, and without ListBucket a missing key answers 403 instead of 404 (the
 * adapter reports it, never guesses).
 */
function readArchivedLogsStatement(archivedLogsArn: string): PolicyStatement {
  return { Sid: 'ReadArchivedLogs', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [archivedLogsArn] };
}

export interface KeeperPolicyInput extends RunnerPolicyRights {
  /** The keeper: the only function of an outbound bridge (it runs the heartbeat pass itself). */
  functionName: string;
  /** The runner-state table: the keeper's lease, request idempotency and the reconciliation cursor. */
  stateTableArn: string;
}

/**
 * The outbound keeper: the bridge's rights without the WebSocket API's. It answers on its own socket, so no
 * execute-api; it has no connection records, so no connections table (none exists in outbound mode).
 */
export function keeperPolicy(input: KeeperPolicyInput): PolicyDocument {
  const statements: PolicyStatement[] = [
    logStatement(input.account, [input.functionName]),
    // The lease (conditional PutItem/UpdateItem on its generation), idempotency records and the cursor.
    runnerStateStatement(input.stateTableArn),
    ...tokenAndClusterStatements(input),
  ];
  if (input.secretReferencePrefixArn)
    statements.push(secretReferencesStatement(input.secretReferencePrefixArn));
  if (input.registryRefreshFunctionName)
    statements.push(startRegistryRefreshStatement(input.account, input.registryRefreshFunctionName));
  if (input.archivedLogsArn) statements.push(readArchivedLogsStatement(input.archivedLogsArn));
  return { Version: '2012-10-17', Statement: [...statements, ...optionalStatements(input)] };
}

export interface RegistryPolicyInput {
  account: AccountContext;
  functionName: string;
  ecrKeysSecretArn: string;
  clusterName: string;
  clusterRegion: string;
  tracing: boolean;
  vpc: boolean;
}

/**
 * The registry refresh function: Collate's keys and the cluster. No ECR permission: the stack always gives
 * the function Collate's keys, and ECR GetAuthorizationToken is signed with those, never with this role.
 */
export function registryPolicy(input: RegistryPolicyInput): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      logStatement(input.account, [input.functionName]),
      {
        Sid: 'ReadCollateRegistryKeys',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [input.ecrKeysSecretArn],
      },
      {
        Sid: 'FindCluster',
        Effect: 'Allow',
        Action: ['eks:DescribeCluster'],
        Resource: [clusterArn(input.account, input.clusterName, input.clusterRegion)],
      },
      ...optionalStatements(input),
    ],
  };
}

/**
 * The ingestion pods' role: read secrets under the prefix, nothing else. ListSecrets is left out: IAM
 * cannot scope it to a prefix and the ingestion code looks secrets up by name (GetSecretValue).
 */
export function ingestionPodsPolicy(secretPrefixResource: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadRunnerSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: [secretPrefixResource],
      },
    ],
  };
}

/**
 * The objects Argo archives logs of the ingestion namespace under: its keyFormat starts with
 * `{{workflow.namespace}}/`, so this prefix (with its slash: `collate-ingestion-evil/` stays outside).
 */
export function logArchiveObjectsArn(bucketArn: string, ingestionNamespace: string): string {
  return `${bucketArn}/${ingestionNamespace}/*`;
}

/**
 * The ingestion pods' role, with logs.archive: Argo's wait container uploads the main log (PutObject, which
 * also covers a multipart upload's parts). Nothing to read, list or delete; an upload cut off half way is
 * cleaned up by the bucket's lifecycle rule, so AbortMultipartUpload is not needed either.
 */
export function ingestionPodsLogArchivePolicy(archivedLogsArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ArchiveOwnLogs', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [archivedLogsArn] },
    ],
  };
}

export interface BucketPolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{
    Sid: string;
    Effect: 'Deny';
    Principal: '*';
    Action: string[];
    Resource: string[];
    Condition: Record<string, Record<string, string>>;
  }>;
}

/** The log bucket's own policy: every request without TLS is refused, whoever sends it. */
export function tlsOnlyBucketPolicy(bucketArn: string): BucketPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RefuseRequestsWithoutTls',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:*'],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/** IRSA: only the one service account, through the cluster's OIDC provider. */
export function irsaTrustPolicy(input: {
  account: AccountContext;
  /** Issuer URL as EKS reports it (`https://oidc.eks.<region>.amazonaws.com/id/<id>`). */
  oidcIssuer: string;
  namespace: string;
  serviceAccount: string;
}): TrustDocument {
  const issuer = input.oidcIssuer.replace(/^https:\/\//, '');
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: {
          Federated: `arn:${input.account.partition}:iam::${input.account.accountId}:oidc-provider/${issuer}`,
        },
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${input.namespace}:${input.serviceAccount}`,
            [`${issuer}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  };
}

/**
 * EKS Pod Identity: the agent assumes the role and tags the session. Without conditions on those session
 * tags any Pod Identity association in the account (another cluster, namespace or service account) could
 * use this role; with them only the one service account of this cluster can, as with IRSA.
 */
export function podIdentityTrustPolicy(input: {
  account: AccountContext;
  clusterName: string;
  namespace: string;
  serviceAccount: string;
}): TrustDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': input.account.accountId,
            'aws:RequestTag/eks-cluster-name': input.clusterName,
            'aws:RequestTag/kubernetes-namespace': input.namespace,
            'aws:RequestTag/kubernetes-service-account': input.serviceAccount,
          },
        },
      },
    ],
  };
}

/** Fargate pod execution role: only EKS Fargate, and only for profiles of this one cluster (AWS's confused-deputy guard). */
export function fargatePodExecutionTrustPolicy(input: {
  account: AccountContext;
  clusterName: string;
  /** The cluster's region (the profile lives there). */
  region: string;
}): TrustDocument {
  const { partition, accountId } = input.account;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'eks-fargate-pods.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: {
          ArnLike: {
            'aws:SourceArn': `arn:${partition}:eks:${input.region}:${accountId}:fargateprofile/${input.clusterName}/*`,
          },
        },
      },
    ],
  };
}

/** AWS's managed policy for Fargate pod execution roles (pull images from ECR, write logs). */
export function fargatePodExecutionPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy`;
}
