// The outbound bridge (bridge.mode: outbound): the keeper function that dials Collate, its role, and the
// EventBridge tick that starts a successor before the holder leaves. No WebSocket API, no connections table,
// no public endpoint: the keeper answers requests and sends the heartbeat's events over its own socket.
import {
  FUNCTION_ENV,
  keeperEnvironment,
  newNamespacesCheckEnvironment,
  outboundUrlOf,
} from '@hybrid-runner/config';
import { KEEPER_TICK_MS } from '@hybrid-runner/core';
import { bridgeSideRights, type BridgeSideInput } from './bridge-side.ts';
import { keeperPolicy, lambdaTrustPolicy } from './iam-policies.ts';
import { schedule } from './schedules.ts';

/** core's KEEPER_TICK_MS as an EventBridge schedule: DEFAULT_TAKEOVER_POLICY's lead and staleness assume it. */
const TICK_MINUTES = KEEPER_TICK_MS / 60_000;
// EventBridge wants the singular unit for a value of 1 ("rate(1 minute)") and the plural otherwise.
const KEEPER_TICK = `rate(${TICK_MINUTES} ${TICK_MINUTES === 1 ? 'minute' : 'minutes'})`;

export interface OutboundBridgeInput extends BridgeSideInput {
  stateTable: aws.dynamodb.Table;
}

export interface OutboundBridge {
  keeper: sst.aws.Function;
  /** The keeper's role (the cluster maps it to the bridge's group: it runs the same operations). */
  role: aws.iam.Role;
  /** Where the keeper dials (Collate's endpoint, not one of ours). */
  outboundUrl: string;
}

export function deployOutboundBridge(input: OutboundBridgeInput): OutboundBridge {
  const { config, names, stateTable, authTokenSecretArn } = input;
  // With pattern targets, the keeper's heartbeat pass starts the registry refresh for a new namespace, as
  // the heartbeat function does in inbound mode (its grant comes with bridgeSideRights).
  const newNamespacesCheck = newNamespacesCheckEnvironment(config, names.registryRefresh);
  const keeperRole = new aws.iam.Role('KeeperRole', {
    description: 'Outbound bridge keeper of the hybrid runner',
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });
  const keeperRolePolicy = new aws.iam.RolePolicy('KeeperRolePolicy', {
    role: keeperRole.name,
    policy: $util
      .all([bridgeSideRights(input), stateTable.arn])
      .apply(([rights, stateArn]) =>
        JSON.stringify(keeperPolicy({ ...rights, functionName: names.keeper, stateTableArn: stateArn })),
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
