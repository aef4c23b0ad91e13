// The Collate bridge: the WebSocket API, the role its functions share (with the heartbeat), the connect,
// disconnect and message functions on its routes, and the heartbeat on its schedule.
import {
  FUNCTION_ENV,
  inboundHardeningEnvironment,
  jwksEnvironment,
  newNamespacesCheckEnvironment,
  sourceCidrsEnvironment,
} from '@hybrid-runner/config';
import { bridgeSideRights, type BridgeSideInput } from './bridge-side.ts';
import { bridgePolicy, lambdaTrustPolicy } from './iam-policies.ts';
import { schedule } from './schedules.ts';
import type { RunnerTables } from './tables.ts';

export interface BridgeInput extends BridgeSideInput {
  tables: RunnerTables;
}

export interface Bridge {
  api: sst.aws.ApiGatewayWebSocket;
  /** The role of the bridge and heartbeat functions (the cluster maps it to the bridge's group). */
  role: aws.iam.Role;
}

export function deployBridge(input: BridgeInput): Bridge {
  const { config, names, tables, authTokenSecretArn, makeFunction } = input;
  const api = new sst.aws.ApiGatewayWebSocket('Bridge');
  const apiExecutionArn = api.nodes.api.executionArn;

  // With pattern targets, the heartbeat starts the registry refresh when a matching namespace appears.
  const newNamespacesCheck = newNamespacesCheckEnvironment(config, names.registryRefresh);
  const bridgeRole = new aws.iam.Role('BridgeRole', {
    description: 'Bridge and heartbeat functions of the hybrid runner',
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });
  const bridgeRolePolicy = new aws.iam.RolePolicy('BridgeRolePolicy', {
    role: bridgeRole.name,
    policy: $util
      .all([
        bridgeSideRights(input),
        tables.connections.arn,
        tables.state.arn,
        apiExecutionArn,
        api.managementEndpoint,
      ])
      .apply(([rights, connectionsArn, stateArn, executionArn, endpoint]) =>
        JSON.stringify(
          bridgePolicy({
            ...rights,
            functionNames: [names.connect, names.disconnect, names.message, names.heartbeat],
            connectionsTableArn: connectionsArn,
            stateTableArn: stateArn,
            apiExecutionArn: executionArn,
            apiStage: new URL(endpoint).pathname.replace(/^\//, ''),
          }),
        ),
      ),
  });

  const bridgeEnvironment = {
    ...input.baseEnvironment,
    [FUNCTION_ENV.connectionsTable]: tables.connections.name,
    [FUNCTION_ENV.stateTable]: tables.state.name,
    [FUNCTION_ENV.authTokenSecret]: authTokenSecretArn,
    [FUNCTION_ENV.managementEndpoint]: api.managementEndpoint,
    // Rate limit and token rotation: every bridge function reads the token set (for redaction, too).
    ...inboundHardeningEnvironment(config),
    ...(input.previousAuthTokenSecretArn
      ? { [FUNCTION_ENV.previousAuthTokenSecret]: input.previousAuthTokenSecretArn }
      : {}),
  };

  const connect = makeFunction(
    'BridgeConnect',
    'connect',
    bridgeRole,
    { ...bridgeEnvironment, ...jwksEnvironment(config), ...sourceCidrsEnvironment(config) },
    [bridgeRolePolicy],
  );
  const disconnect = makeFunction('BridgeDisconnect', 'disconnect', bridgeRole, bridgeEnvironment, [
    bridgeRolePolicy,
  ]);
  // Only the message function serves getIngestionLogs, so only it learns the archive's bucket.
  const message = makeFunction(
    'BridgeMessage',
    'message',
    bridgeRole,
    {
      ...bridgeEnvironment,
      ...(input.logArchive ? { [FUNCTION_ENV.logArchiveBucket]: input.logArchive.bucketName } : {}),
    },
    [bridgeRolePolicy],
  );
  const heartbeat = makeFunction(
    'Heartbeat',
    'heartbeat',
    bridgeRole,
    { ...bridgeEnvironment, ...newNamespacesCheck },
    [bridgeRolePolicy],
  );
  api.route('$connect', connect.arn);
  api.route('$disconnect', disconnect.arn);
  api.route('$default', message.arn);
  schedule(
    'Heartbeat',
    config.schedules.heartbeat,
    heartbeat,
    'Keeps Collate connections alive and reports run states',
  );
  return { api, role: bridgeRole };
}
