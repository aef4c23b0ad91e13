// IAM evaluated by an implementation we did not write (@cloud-copilot/iam-simulate): the policy documents
// the stack produces (recorded under Pulumi mocks, test/stack/harness.ts) against the calls the functions
// really make (recorded over the wire from the local stage, local-stage-aws-calls.ts), mapped onto the
// stack's resources through the variable that names each resource (the same FUNCTION_ENV variable holds the
// local table name and the stack's), plus the neighbours that must stay denied.
// What this proves: AWS's evaluation logic, as iam-simulate implements it, allows exactly what the code
// needs and not the neighbours. What it cannot: SCPs, permission boundaries or resource policies of the
// customer's account, and actions AWS may add to a service later.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import type { PolicyDocument } from '../../stacks/iam-policies.ts';
import type { RecordedAwsCalls } from './local-stage-aws-calls.ts';
import { ACCOUNT_ID, REGION, type StackRun } from '../stack/harness.ts';
import type { WireExchange } from './wire-tap.ts';

export interface IamRequest {
  /** Role name in the stack (BridgeRole, RegistryRole, IngestionPodsRole). */
  role: string;
  action: string;
  resource: string;
  /** Who makes it: handler modules, `Lambda runtime`, `ingestion pods`, or `must stay denied`. */
  madeBy: string[];
  expected: 'Allowed' | 'Denied';
}

export interface IamRow extends IamRequest {
  evaluated: string;
}

export interface StackRole {
  name: string;
  arn: string;
  policies: PolicyDocument[];
}

interface StackFunction {
  module: string;
  name: string;
  roleArn: string;
  environment: Record<string, string>;
}

export function stackRoles(run: StackRun): StackRole[] {
  const attachments = run.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment');
  if (attachments.length > 0) {
    throw new Error(
      'The stack attaches managed policies; their documents are not in the recording: evaluate them too.',
    );
  }
  return run.ofType('aws:iam/role:Role').map((role) => {
    const roleName = `${role.name}-role`;
    return {
      name: role.name,
      arn: `arn:aws:iam::${ACCOUNT_ID}:role/${roleName}`,
      policies: run
        .ofType('aws:iam/rolePolicy:RolePolicy')
        .filter((policy) => policy.inputs.role === roleName)
        .map((policy) => JSON.parse(policy.inputs.policy as string) as PolicyDocument),
    };
  });
}

function stackFunctions(run: StackRun): StackFunction[] {
  return run.ofType('standin:sst:aws:FunctionArgs').map((fn) => ({
    module: String(fn.inputs.handler).replace(/\.[^.]+$/, ''),
    name: String(fn.inputs.name),
    roleArn: String(fn.inputs.role),
    environment: fn.inputs.environment as Record<string, string>,
  }));
}

/** The variables a function of the stack got (each function gets only those it reads). */
function stackEnvironment(fn: StackFunction) {
  const variable = (name: keyof typeof FUNCTION_ENV): string => {
    const value = fn.environment[FUNCTION_ENV[name]];
    if (!value)
      throw new Error(`The stack gives ${fn.name} no ${FUNCTION_ENV[name]}, yet it made a call needing it.`);
    return value;
  };
  return {
    get settings() {
      return JSON.parse(variable('settings')) as { secretsManager: { prefix: string; region?: string } };
    },
    get clusterName() {
      return variable('clusterName');
    },
    get clusterRegion() {
      return variable('clusterRegion');
    },
    get managementEndpoint() {
      return variable('managementEndpoint');
    },
  };
}

function jsonBody(exchange: WireExchange): Record<string, unknown> {
  return exchange.requestBody.length
    ? (JSON.parse(exchange.requestBody.toString('utf8')) as Record<string, unknown>)
    : {};
}

function signingKey(exchange: WireExchange): string | undefined {
  return /Credential=([^/]+)\//.exec(exchange.headers.authorization ?? '')?.[1];
}

/** The secret ARN AWS gives a secret of this name (Secrets Manager appends six random characters). */
export function secretArnOfName(region: string, account: string, name: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
}

/**
 * The IAM requests behind every recorded AWS call of a deployed function, on the stack's resources. A call
 * the mapping does not know fails here: a new kind of call must be added deliberately, not skipped.
 */
export function recordedRequests(recorded: RecordedAwsCalls, run: StackRun): IamRequest[] {
  // The account and region the harness deploys into (tables, logs and the API live there).
  const account = ACCOUNT_ID;
  const functions = stackFunctions(run);
  const roles = stackRoles(run);
  const roleName = (arn: string) => roles.find((role) => role.arn === arn)?.name ?? arn;
  const local = recorded.functionEnvironment;
  const requests: IamRequest[] = [];
  for (const exchange of recorded.exchanges) {
    const fn = functions.find((candidate) => candidate.module === exchange.sender);
    if (!fn) continue; // the stage's own setup and the test driver: not a function's call
    const service = recorded.serviceOfPort.get(exchange.port);
    if (service === 'kubernetes') continue; // RBAC through the EKS access entry, not IAM (see docs/security.md)
    // Signed with other keys (Collate's ECR keys): not this role's permission.
    if (signingKey(exchange) !== recorded.functionAccessKeyId) continue;
    const stack = stackEnvironment(fn);
    const stackValueOf = (
      localValue: string,
      names: Array<keyof typeof FUNCTION_ENV>,
    ): string | undefined => {
      const variable = names.find((name) => local[FUNCTION_ENV[name]] === localValue);
      return variable ? fn.environment[FUNCTION_ENV[variable]] : undefined;
    };
    const add = (action: string, resource: string) =>
      requests.push({
        role: roleName(fn.roleArn),
        action,
        resource,
        madeBy: [fn.module],
        expected: 'Allowed',
      });
    const unmapped = (what: string) => {
      throw new Error(
        `${fn.module} sent ${what}, which recordedRequests cannot map onto the stack's resources.`,
      );
    };
    switch (service) {
      case 'dynamodb': {
        const operation = String(exchange.headers['x-amz-target']).split('.')[1];
        const table = stackValueOf(String(jsonBody(exchange).TableName), ['connectionsTable', 'stateTable']);
        if (!table) return unmapped(`DynamoDB ${operation} on table ${String(jsonBody(exchange).TableName)}`);
        add(`dynamodb:${operation}`, `arn:aws:dynamodb:${REGION}:${account}:table/${table}`);
        break;
      }
      case 'secretsmanager': {
        const operation = String(exchange.headers['x-amz-target']).split('.')[1];
        const secretId = String(jsonBody(exchange).SecretId);
        const prefix = stack.settings.secretsManager.prefix;
        const byVariable = stackValueOf(secretId, ['authTokenSecret', 'ecrKeysSecret']);
        const region = stack.settings.secretsManager.region ?? stack.clusterRegion;
        const resource =
          byVariable ??
          (secretId.startsWith(prefix) ? secretArnOfName(region, account, secretId) : undefined);
        if (!resource) return unmapped(`Secrets Manager ${operation} on ${secretId}`);
        add(`secretsmanager:${operation}`, resource);
        break;
      }
      case 'ecr':
        // GetAuthorizationToken has no resource-level permissions: IAM evaluates it on "*".
        add(`ecr:${String(exchange.headers['x-amz-target']).split('.')[1]}`, '*');
        break;
      case 'eks': {
        const name = decodeURIComponent(/^\/clusters\/([^/?]+)/.exec(exchange.path)?.[1] ?? '');
        if (name !== local[FUNCTION_ENV.clusterName])
          return unmapped(`EKS ${exchange.method} ${exchange.path}`);
        add(
          'eks:DescribeCluster',
          `arn:aws:eks:${stack.clusterRegion}:${account}:cluster/${stack.clusterName}`,
        );
        break;
      }
      case 'apigatewaymanagementapi': {
        const endpoint = new URL(stack.managementEndpoint);
        const apiId = endpoint.hostname.split('.')[0];
        const apiStage = endpoint.pathname.replace(/^\//, '');
        const base = recorded.basePathOfPort.get(exchange.port) ?? '';
        const connection = /^\/@connections\/([^/?]+)$/.exec(exchange.path.slice(base.length))?.[1];
        if (!connection) return unmapped(`the management API ${exchange.method} ${exchange.path}`);
        const region = endpoint.hostname.split('.')[2];
        add(
          'execute-api:ManageConnections',
          `arn:aws:execute-api:${region}:${account}:${apiId}/${apiStage}/${exchange.method}/@connections/${decodeURIComponent(connection)}`,
        );
        break;
      }
      default:
        return unmapped(`a request to ${exchange.host}`);
    }
  }
  // Lambda itself writes each function's logs with the function's role.
  for (const fn of functions) {
    const logGroup = `arn:aws:logs:${REGION}:${account}:log-group:/aws/lambda/${fn.name}`;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      requests.push({
        role: roleName(fn.roleArn),
        action,
        resource: `${logGroup}:log-stream:example`,
        madeBy: ['Lambda runtime'],
        expected: 'Allowed',
      });
    }
  }
  return requests;
}

/**
 * One row per role, action and resource (connection ids collapsed), naming everyone who makes the call,
 * in a stable order (the recording's order depends on timing).
 */
export function distinctRequests(requests: IamRequest[]): IamRequest[] {
  const rows = new Map<string, IamRequest>();
  for (const request of requests) {
    const resource = request.resource.replace(/(@connections\/)[^/]+$/, '$1{connectionId}');
    const key = `${request.role} ${request.action} ${resource} ${request.expected}`;
    const row = rows.get(key);
    if (row) row.madeBy = [...new Set([...row.madeBy, ...request.madeBy])].sort();
    else rows.set(key, { ...request, resource, madeBy: [...request.madeBy].sort() });
  }
  const order = (row: IamRequest) => `${row.role} ${row.action} ${row.resource}`;
  return [...rows.values()].sort((a, b) => order(a).localeCompare(order(b)));
}

function matches(pattern: string, value: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(value);
}

/**
 * Grants of the given roles that no recorded call uses: each action of each statement must be needed by a
 * call on one of its resources, or it is more than least privilege.
 */
export function unusedGrants(roles: StackRole[], requests: IamRequest[], roleNames: string[]): string[] {
  const needed = requests.filter((request) => request.expected === 'Allowed');
  const unused: string[] = [];
  for (const role of roles.filter((candidate) => roleNames.includes(candidate.name))) {
    for (const statement of role.policies.flatMap((policy) => policy.Statement)) {
      for (const action of statement.Action) {
        const used = needed.some(
          (request) =>
            request.role === role.name &&
            matches(action, request.action) &&
            statement.Resource.some((resource) =>
              matches(resource, request.resource.replace('{connectionId}', 'abc123=')),
            ),
        );
        if (!used)
          unused.push(`${role.name} ${statement.Sid ?? ''} ${action} on ${statement.Resource.join(', ')}`);
      }
    }
  }
  return unused;
}

export async function evaluate(roles: StackRole[], requests: IamRequest[]): Promise<IamRow[]> {
  const rows: IamRow[] = [];
  for (const request of requests) {
    const role = roles.find((candidate) => candidate.name === request.role);
    if (!role) throw new Error(`The stack has no role ${request.role}.`);
    const account = /::(\d{12}):/.exec(role.arn)?.[1] ?? '';
    const response = await runSimulation(
      {
        identityPolicies: role.policies.map((policy, index) => ({ name: `${role.name}-${index}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          principal: role.arn,
          action: request.action,
          resource: { resource: request.resource.replace('{connectionId}', 'abc123='), accountId: account },
          contextVariables: {},
        },
      },
      {},
    );
    const evaluated =
      response.resultType === 'error'
        ? `error: ${JSON.stringify(response.errors).slice(0, 300)}`
        : response.overallResult;
    rows.push({ ...request, evaluated });
  }
  return rows;
}

/** Rows whose evaluation is not what they expect (implicit and explicit denials both count as Denied). */
export function violations(rows: IamRow[]): IamRow[] {
  return rows.filter((row) =>
    row.expected === 'Allowed'
      ? row.evaluated !== 'Allowed'
      : !/^(Implicitly|Explicitly)Denied$/.test(row.evaluated),
  );
}

export function markdownTable(rows: IamRow[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    '| role | action | resource | made by | expected | evaluated |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.role} | \`${row.action}\` | \`${escape(row.resource)}\` | ${row.madeBy.join(', ')} | ${row.expected} | ${row.evaluated} |`,
    ),
  ];
  return lines.join('\n');
}

export interface TrustRequest {
  /** Role name in the stack. */
  role: string;
  principal: string;
  action: string;
  context: Record<string, string>;
}

/** Evaluates a role's trust policy (as the resource policy of the role) for one assume-role request. */
export async function evaluateTrust(run: StackRun, request: TrustRequest): Promise<string> {
  const role = run.one('aws:iam/role:Role', request.role);
  const response = await runSimulation(
    {
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: JSON.parse(role.inputs.assumeRolePolicy as string) as Record<string, unknown>,
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: `arn:aws:iam::${ACCOUNT_ID}:role/${request.role}-role`, accountId: ACCOUNT_ID },
        contextVariables: request.context,
      },
    },
    {},
  );
  return response.resultType === 'error'
    ? `error: ${JSON.stringify(response.errors).slice(0, 300)}`
    : response.overallResult;
}
