// The outbound bridge (bridge.mode: outbound): the keeper function that dials Collate, its role, and the
// EventBridge tick that starts a successor before the holder leaves. No WebSocket API, no connections table,
// no public endpoint: the keeper answers requests and sends the heartbeat's events over its own socket.
import {
  FUNCTION_ENV,
  keeperEnvironment,
  newNamespacesCheckEnvironment,
  outboundUrlOf,
} from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import { KEEPER_TICK_MS } from '@hybrid-runner/core';
import type { FunctionKey, FunctionVpc, MakeFunction } from './functions.ts';
import { keeperPolicy, lambdaTrustPolicy, runnerPolicyRights } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';
import { schedule } from './schedules.ts';

/** core's KEEPER_TICK_MS as an EventBridge schedule: DEFAULT_TAKEOVER_POLICY's lead and staleness assume it. */
const TICK_MINUTES = KEEPER_TICK_MS / 60_000;
// EventBridge wants the singular unit for a value of 1 ("rate(1 minute)") and the plural otherwise.
const KEEPER_TICK = `rate(${TICK_MINUTES} ${TICK_MINUTES === 1 ? 'minute' : 'minutes'})`;

export interface OutboundBridgeInput {
  config: StageConfig;
  account: $util.Output<AccountContext>;
  clusterRegion: $util.Output<string>;
  names: Record<FunctionKey, string>;
  stateTable: aws.dynamodb.Table;
  authTokenSecretArn: $util.Output<string>;
  /** During a bot token rotation (bridge.previousAuthToken): the previous token's secret. */
  previousAuthTokenSecretArn?: $util.Output<string>;
  vpc: FunctionVpc;
  baseEnvironment: Record<string, $util.Input<string>>;
  makeFunction: MakeFunction;
  /** With logs.archive: the bucket the keeper reads archived logs from, and the objects it may read. */
  logArchive?: { bucketName: $util.Output<string>; archivedLogsArn: $util.Output<string> };
}

export interface OutboundBridge {
  keeper: sst.aws.Function;
  /** The keeper's role (the cluster maps it to the bridge's group: it runs the same operations). */
  role: aws.iam.Role;
  /** Where the keeper dials (Collate's endpoint, not one of ours). */
  outboundUrl: string;
}

export function deployOutboundBridge(input: OutboundBridgeInput): OutboundBridge {
  const { config, account, clusterRegion, names, stateTable, authTokenSecretArn, vpc } = input;
  const previousTokenArn = input.previousAuthTokenSecretArn ?? $util.output('');
  const archivedLogsArn = input.logArchive?.archivedLogsArn ?? $util.output('');
  // With pattern targets, the keeper's heartbeat pass starts the registry refresh for a new namespace, as
  // the heartbeat function does in inbound mode.
  const newNamespacesCheck = newNamespacesCheckEnvironment(config, names.registryRefresh);
  const registryRefreshFunctionName = newNamespacesCheck[FUNCTION_ENV.registryRefreshFunction];
  const keeperRole = new aws.iam.Role('KeeperRole', {
    description: 'Outbound bridge keeper of the hybrid runner',
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });
  const keeperRolePolicy = new aws.iam.RolePolicy('KeeperRolePolicy', {
    role: keeperRole.name,
    policy: $util
      .all([account, clusterRegion, stateTable.arn, authTokenSecretArn, previousTokenArn, archivedLogsArn])
      .apply(([context, clusterRegionName, stateArn, tokenArn, previousArn, archiveArn]) =>
        JSON.stringify(
          keeperPolicy({
            ...runnerPolicyRights(
              config,
              context,
              clusterRegionName,
              {
                authTokenSecretArn: tokenArn,
                previousAuthTokenSecretArn: previousArn,
                archivedLogsArn: archiveArn,
              },
              Boolean(vpc),
            ),
            functionName: names.keeper,
            stateTableArn: stateArn,
            ...(registryRefreshFunctionName ? { registryRefreshFunctionName } : {}),
          }),
        ),
      ),
  });

  const environment = {
    ...input.baseEnvironment,
    [FUNCTION_ENV.stateTable]: stateTable.name,
    [FUNCTION_ENV.authTokenSecret]: authTokenSecretArn,
    ...keeperEnvironment(config),
    ...(input.previousAuthTokenSecretArn
      ? { [FUNCTION_ENV.previousAuthTokenSecret]: input.previousAuthTokenSecretArn }
      : {}),
    ...(input.logArchive ? { [FUNCTION_ENV.logArchiveBucket]: input.logArchive.bucketName } : {}),
    ...newNamespacesCheck,
  };
  const keeper = input.makeFunction('Keeper', 'keeper', keeperRole, environment, [keeperRolePolicy]);
  // EventBridge invokes asynchronously; Lambda would retry a failed or timed-out keeper twice and keep a
  // throttled tick for hours. The next tick comes within a minute and reads the lease afresh, so a stale
  // tick is only noise: no retries, and a tick older than a minute is dropped.
  new aws.lambda.FunctionEventInvokeConfig('KeeperInvokeConfig', {
    functionName: keeper.name,
    maximumRetryAttempts: 0,
    maximumEventAgeInSeconds: 60,
  });
  schedule(
    'Keeper',
    KEEPER_TICK,
    keeper,
    'Starts an outbound keeper when the lease needs one (none, a dead one, or one about to leave)',
  );
  return { keeper, role: keeperRole, outboundUrl: outboundUrlOf(config) };
}
