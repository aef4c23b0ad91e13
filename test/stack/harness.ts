// Runs stacks/runner.ts offline under Pulumi's runtime mocks and records every resource it registers.
// What this proves: the resource graph, each IAM document and each RBAC rule the stack would send. What it
// cannot: that AWS accepts them (no AWS here) or how SST's own components expand. SST's Function,
// ApiGatewayWebSocket and Secret are replaced by recording stand-ins (named so below); the IAM roles are
// ours, passed to the functions, so every permission the functions get is in the recorded documents.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StageConfig } from '@hybrid-runner/config';

export const repoRoot = join(import.meta.dirname, '../..');
const platform = join(repoRoot, '.sst', 'platform');

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  dependsOn?: string[];
}

export interface StackRun {
  resources: RecordedResource[];
  ofType(type: string): RecordedResource[];
  one(type: string, name: string): RecordedResource;
  outputs: Record<string, unknown>;
}

export const ACCOUNT_ID = '123456789012';
export const REGION = 'eu-west-1';
export const OIDC_ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

/* eslint-disable @typescript-eslint/no-explicit-any -- Pulumi's modules are loaded from .sst/platform at run time, untyped here. */
type PulumiModule = any;

function loadPlatform(): { pulumi: PulumiModule; require: NodeJS.Require } {
  if (!existsSync(join(platform, 'node_modules', '@pulumi', 'aws'))) {
    throw new Error(
      '.sst/platform is missing: run `npx node scripts/sst-setup.ts` (sst install) before the stack tests.',
    );
  }
  const require = createRequire(join(platform, 'package.json'));
  return { pulumi: require('@pulumi/pulumi'), require };
}

function stateFor(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const arnBase = `arn:aws`;
  switch (type) {
    case 'aws:dynamodb/table:Table':
      return {
        ...inputs,
        name: `${name}-table`,
        arn: `${arnBase}:dynamodb:${REGION}:${ACCOUNT_ID}:table/${name}-table`,
      };
    case 'aws:iam/role:Role':
      return { ...inputs, name: `${name}-role`, arn: `${arnBase}:iam::${ACCOUNT_ID}:role/${name}-role` };
    case 'aws:secretsmanager/secret:Secret':
      return { ...inputs, arn: `${arnBase}:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-AbCdEf` };
    case 'aws:apigatewayv2/api:Api':
      return {
        ...inputs,
        executionArn: `${arnBase}:execute-api:${REGION}:${ACCOUNT_ID}:api0123`,
        apiEndpoint: `wss://api0123.execute-api.${REGION}.amazonaws.com`,
      };
    case 'aws:s3/bucket:Bucket': {
      // S3 appends a unique suffix to the prefix.
      const bucket = `${String(inputs.bucketPrefix ?? `${name.toLowerCase()}-`)}0123abcd`;
      return { ...inputs, bucket, arn: `${arnBase}:s3:::${bucket}` };
    }
    case 'aws:cloudwatch/eventRule:EventRule':
      return {
        ...inputs,
        name: `${name}-rule`,
        arn: `${arnBase}:events:${REGION}:${ACCOUNT_ID}:rule/${name}-rule`,
      };
    case 'aws:sns/topic:Topic':
      return { ...inputs, arn: `${arnBase}:sns:${REGION}:${ACCOUNT_ID}:${String(inputs.name)}` };
    case 'aws:cloudwatch/metricAlarm:MetricAlarm':
      return { ...inputs, arn: `${arnBase}:cloudwatch:${REGION}:${ACCOUNT_ID}:alarm:${String(inputs.name)}` };
    default:
      return { ...inputs };
  }
}

function callResult(token: string): Record<string, unknown> {
  switch (token) {
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`, userId: 'AIDEXAMPLE' };
    case 'aws:index/getPartition:getPartition':
      return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
    case 'aws:index/getRegion:getRegion':
      return { region: REGION, name: REGION };
    case 'aws:eks/getCluster:getCluster':
      return {
        arn: `arn:aws:eks:${REGION}:${ACCOUNT_ID}:cluster/prod-eks`,
        endpoint: 'https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthorities: [{ data: 'Q0EtREFUQQ==' }],
        identities: [{ oidcs: [{ issuer: OIDC_ISSUER }] }],
      };
    default:
      throw new Error(`The stack test has no mock for the call ${token}: add one to test/stack/harness.ts.`);
  }
}

/** Recording stand-ins for SST's components (their own expansion is SST's, not ours, to test). */
function sstStandIns(pulumi: PulumiModule, aws: PulumiModule) {
  class FunctionStandIn extends pulumi.ComponentResource {
    arn: unknown;
    name: unknown;
    constructor(name: string, args: Record<string, unknown>, opts?: Record<string, unknown>) {
      super('standin:sst:aws:Function', name, {}, opts);
      this.arn = pulumi.output(`arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${String(args.name)}`);
      this.name = pulumi.output(args.name);
      // Registers the arguments as a child resource so the mock records them with resolved inputs.
      new pulumi.CustomResource('standin:sst:aws:FunctionArgs', `${name}Args`, toRecordable(pulumi, args), {
        parent: this,
        dependsOn: opts?.dependsOn,
      });
      this.registerOutputs({});
    }
  }
  class ApiGatewayWebSocketStandIn extends pulumi.ComponentResource {
    nodes: { api: PulumiModule };
    url: unknown;
    managementEndpoint: unknown;
    private routes = 0;
    private readonly id: string;
    constructor(name: string, _args?: unknown, opts?: Record<string, unknown>) {
      super('standin:sst:aws:ApiGatewayWebSocket', name, {}, opts);
      this.id = name;
      const api = new aws.apigatewayv2.Api(
        `${name}Api`,
        { protocolType: 'WEBSOCKET', routeSelectionExpression: '$request.body.action' },
        { parent: this },
      );
      this.nodes = { api };
      this.url = pulumi.interpolate`${api.apiEndpoint}/$default`;
      this.managementEndpoint = api.apiEndpoint.apply(
        (endpoint: string) => `${endpoint.replace('wss', 'https')}/$default`,
      );
      this.registerOutputs({});
    }
    route(route: string, handler: unknown) {
      this.routes += 1;
      return new pulumi.CustomResource(
        'standin:sst:aws:ApiGatewayWebSocketRoute',
        `${this.id}Route${this.routes}`,
        { route, handler },
        { parent: this },
      );
    }
  }
  class SecretStandIn extends pulumi.ComponentResource {
    value: unknown;
    constructor(name: string) {
      super('standin:sst:Secret', name, {}, {});
      this.value = pulumi.secret(`stand-in value of ${name}`);
      this.registerOutputs({});
    }
  }
  return {
    aws: { Function: FunctionStandIn, ApiGatewayWebSocket: ApiGatewayWebSocketStandIn },
    Secret: SecretStandIn,
  };
}

/** Functions (transforms) cannot be resource inputs; record that they exist by name. */
function toRecordable(pulumi: PulumiModule, args: Record<string, unknown>): Record<string, unknown> {
  const recordable: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === 'transform' && value && typeof value === 'object') {
      const transform: Record<string, unknown> = {};
      for (const [part, fn] of Object.entries(value)) {
        if (typeof fn === 'function') {
          const probe: Record<string, unknown> = {};
          fn(probe);
          transform[part] = probe;
        }
      }
      recordable.transform = transform;
    } else {
      recordable[key] = pulumi.output(value);
    }
  }
  return recordable;
}

let runs = 0;

/** Deploys the stack for `config` into mocks and waits until every registration has resolved. */
export async function runStack(config: StageConfig): Promise<StackRun> {
  const { pulumi, require } = loadPlatform();
  const resources: RecordedResource[] = [];
  runs += 1;
  await pulumi.runtime.setMocks(
    {
      newResource(args: { type: string; name: string; inputs: Record<string, unknown> }) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: stateFor(args.type, args.name, args.inputs) };
      },
      call(args: { token: string }) {
        return callResult(args.token);
      },
    },
    'hybrid-runner',
    `test${runs}`,
    false,
  );
  const aws = require('@pulumi/aws');
  const kubernetes = require('@pulumi/kubernetes');
  const globals = globalThis as Record<string, unknown>;
  globals.aws = aws;
  globals.kubernetes = kubernetes;
  globals.$util = pulumi;
  globals.$app = { name: 'hybrid-runner', stage: 'test' };
  globals.sst = sstStandIns(pulumi, aws);

  // Loaded by URL so the root type-check does not follow it into SST's globals (tsconfig.stacks.json checks it).
  const runner = (await import(pathToFileURL(join(repoRoot, 'stacks', 'runner.ts')).href)) as {
    deployRunner(config: StageConfig): Record<string, unknown>;
  };
  const resolved: Record<string, unknown> = {};
  const programErrors = await collectProgramErrors(async () => {
    const outputs = runner.deployRunner(config);
    for (const [key, value] of Object.entries(outputs)) {
      resolved[key] = pulumi.Output.isInstance(value)
        ? await new Promise((resolve) => (value as PulumiModule).apply(resolve))
        : value;
    }
    await settle(resources);
  });
  if (programErrors.length > 0) {
    // As `sst deploy` would: the program fails with its error, once however many resources it reached.
    const messages = [
      ...new Set(programErrors.map((error) => (error instanceof Error ? error.message : String(error)))),
    ];
    throw new Error(messages.join('\n'), { cause: programErrors[0] });
  }
  return {
    resources,
    outputs: resolved,
    ofType: (type) => resources.filter((resource) => resource.type === type),
    one: (type, name) => {
      const found = resources.filter((resource) => resource.type === type && resource.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return found[0] as RecordedResource;
    },
  };
}

/**
 * An error thrown inside an `apply` (a check that needs values only AWS knows) reaches no caller: it rejects
 * the registration of every resource that awaits the value. Pulumi's language host fails the program on
 * such a rejection; here it is collected while the stack runs (this worker's other listeners set aside for
 * that time, and restored) so the run fails with it as a deploy would.
 */
async function collectProgramErrors(run: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const inherited = process.listeners('unhandledRejection');
  const collect = (reason: unknown) => errors.push(reason);
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', collect);
  try {
    await run();
  } finally {
    process.off('unhandledRejection', collect);
    for (const listener of inherited) process.on('unhandledRejection', listener);
  }
  return errors;
}

/** Registrations finish asynchronously (inputs resolve first); wait until none has arrived for a while. */
async function settle(resources: RecordedResource[]): Promise<void> {
  let count = -1;
  let quietRounds = 0;
  while (quietRounds < 5) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (resources.length === count) quietRounds += 1;
    else {
      count = resources.length;
      quietRounds = 0;
    }
  }
}
