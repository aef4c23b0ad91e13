// The runner's Lambda functions: where each handler lives, their names and timeouts, the environment they
// all get, and how each one is created (its role, bundling, VPC and tracing).
import { FUNCTION_ENV, checkedFunctionEnvironment, settingsEnvironmentValue } from '@hybrid-runner/config';
import type { BridgeMode, StageConfig } from '@hybrid-runner/config';
import { METRICS_NAMESPACE, OBSERVABILITY_ENV, emitterSlug } from '@hybrid-runner/observability';
import { ECR_REFRESH_WORK_BUDGET_MS } from '../functions/schedule/ecr-refresh.ts';
import { esbuildOptionsFor } from '../functions/lib/bundling.ts';

/** Where each handler lives (export `handler`), relative to the repository root. */
export const HANDLERS = {
  connect: 'functions/bridge/connect.handler',
  disconnect: 'functions/bridge/disconnect.handler',
  message: 'functions/bridge/message.handler',
  heartbeat: 'functions/schedule/heartbeat.handler',
  registryRefresh: 'functions/schedule/ecr-refresh.handler',
  keeper: 'functions/bridge/keeper.handler',
} as const;
export type FunctionKey = keyof typeof HANDLERS;

const LAMBDA_NAME_LIMIT = 64;
/** The functions each bridge mode deploys (the registry refresh comes with `ecr.enabled`, in either mode). */
export const MODE_FUNCTIONS: Record<BridgeMode, readonly FunctionKey[]> = {
  inbound: ['connect', 'disconnect', 'message', 'heartbeat'],
  // The keeper runs the heartbeat pass over its own socket: no heartbeat function, no API routes.
  outbound: ['keeper'],
};

/**
 * API Gateway gives an integration 29 s; the heartbeat must finish inside its one-minute period; the
 * registry refresh needs its work budget (its schedule's flexible window spreads the logins, not a wait). The
 * keeper's comes from the stage (bridge.outbound.keeper.timeoutSeconds): see functionSizing.
 */
const TIMEOUTS: Record<Exclude<FunctionKey, 'keeper'>, `${number} seconds`> = {
  connect: '10 seconds',
  disconnect: '10 seconds',
  message: '29 seconds',
  heartbeat: '50 seconds',
  registryRefresh: `${ECR_REFRESH_WORK_BUDGET_MS / 1000} seconds`,
};

export interface FunctionSizing {
  timeout: `${number} seconds`;
  memory: `${number} MB`;
  /** Absent: SST's default (x86_64), which the inbound functions have always had. */
  architecture?: 'arm64';
}

/**
 * Timeout, memory and architecture of a function. The keeper runs around the clock holding one socket, so it
 * is the one sized from the stage: small memory on arm64 (the cheaper GB-second), and the timeout its lease
 * timing is built on (it leaves a drain reserve before it, and its successor starts a lead before that).
 */
export function functionSizing(config: StageConfig, key: FunctionKey): FunctionSizing {
  if (key === 'keeper') {
    const keeper = config.bridge.outbound.keeper;
    return {
      timeout: `${keeper.timeoutSeconds} seconds`,
      memory: `${keeper.memoryMb} MB`,
      architecture: 'arm64',
    };
  }
  return { timeout: TIMEOUTS[key], memory: '512 MB' };
}

export function lambdaName(app: string, stage: string, key: FunctionKey): string {
  // The same slug as the function's error alarm (observability's catalog), so one finds the other.
  const name = `${app}-${stage}-${emitterSlug(key)}`;
  if (name.length > LAMBDA_NAME_LIMIT) {
    throw new Error(
      `Function name ${name} is longer than ${LAMBDA_NAME_LIMIT} characters: use a shorter stage name.`,
    );
  }
  return name;
}

/** The name of every function of this app and stage. */
export function lambdaNames(): Record<FunctionKey, string> {
  return Object.fromEntries(
    (Object.keys(HANDLERS) as FunctionKey[]).map((key) => [key, lambdaName($app.name, $app.stage, key)]),
  ) as Record<FunctionKey, string>;
}

/** The VPC the functions run in, when the stage gives one. */
export type FunctionVpc = { privateSubnets: string[]; securityGroups: string[] } | undefined;

export function functionVpc(config: StageConfig): FunctionVpc {
  return config.vpc
    ? { privateSubnets: config.vpc.subnetIds, securityGroups: config.vpc.securityGroupIds }
    : undefined;
}

/** The environment every function gets: settings, cluster, logging and the observability dimensions. */
export function baseEnvironment(
  config: StageConfig,
  regionName: $util.Output<string>,
  clusterRegion: $util.Output<string>,
): Record<string, $util.Input<string>> {
  return {
    [FUNCTION_ENV.settings]: regionName.apply((name) =>
      settingsEnvironmentValue(config, { region: config.cluster.region ?? name }),
    ),
    [FUNCTION_ENV.clusterName]: config.cluster.name,
    [FUNCTION_ENV.clusterRegion]: clusterRegion,
    [FUNCTION_ENV.logLevel]: config.observability.logLevel,
    [FUNCTION_ENV.serviceName]: `hybrid-runner-${$app.stage}`,
    // Metric dimensions and switches the observability package reads; the alarms select on the same values.
    [OBSERVABILITY_ENV.stage]: $app.stage,
    [OBSERVABILITY_ENV.agentId]: config.agentId,
    [OBSERVABILITY_ENV.tracing]: String(config.observability.tracing),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
}

export type MakeFunction = (
  id: string,
  key: FunctionKey,
  role: aws.iam.Role,
  environment: Record<string, $util.Input<string>>,
  dependsOn: $util.Resource[],
) => sst.aws.Function;

/** Creates the functions of one stage the same way: name, handler, runtime, timeout, bundling, VPC, tracing. */
export function functionMaker(
  config: StageConfig,
  names: Record<FunctionKey, string>,
  vpc: FunctionVpc,
): MakeFunction {
  return (id, key, role, environment, dependsOn) =>
    new sst.aws.Function(
      id,
      {
        name: names[key],
        description: `hybrid runner ${key} (${$app.stage})`,
        handler: HANDLERS[key],
        runtime: 'nodejs24.x',
        role: role.arn,
        ...functionSizing(config, key),
        // Checked once every value is known (ARNs come from AWS): Lambda's 4 KB is for all variables together.
        environment: $util
          .all(environment)
          .apply((variables) => checkedFunctionEnvironment(names[key], variables)),
        // connect/disconnect: the AWS SDK from the Lambda runtime (bundle budget; functions/lib/bundling.ts).
        nodejs: { esbuild: esbuildOptionsFor(key) },
        ...(vpc ? { vpc } : {}),
        ...(config.observability.tracing
          ? {
              transform: {
                function: (args: aws.lambda.FunctionArgs) => {
                  args.tracingConfig = { mode: 'Active' };
                },
              },
            }
          : {}),
      },
      { dependsOn },
    );
}
