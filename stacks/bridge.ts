// The Collate bridge: the WebSocket API, the role its functions share (with the heartbeat), the connect,
// disconnect and message functions on its routes, and the heartbeat on its schedule.
import {
  FUNCTION_ENV,
  inboundHardeningEnvironment,
  jwksEnvironment,
  newNamespacesCheckEnvironment,
  sourceCidrsEnvironment,
} from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import type { FunctionKey, FunctionVpc, MakeFunction } from './functions.ts';
import { bridgePolicy, lambdaTrustPolicy, runnerPolicyRights } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';
import { schedule } from './schedules.ts';
import type { RunnerTables } from './tables.ts';

export interface BridgeInput {
  config: StageConfig;
  account: $util.Output<AccountContext>;
  clusterRegion: $util.Output<string>;
  names: Record<FunctionKey, string>;
  tables: RunnerTables;
  authTokenSecretArn: $util.Output<string>;
  /** During a bot token rotation (bridge.previousAuthToken): the previous token's secret. */
  previousAuthTokenSecretArn?: $util.Output<string>;
  vpc: FunctionVpc;
  baseEnvironment: Record<string, $util.Input<string>>;
  makeFunction: MakeFunction;
  /** With logs.archive: the bucket the message function reads archived logs from, and the objects it may read. */
  logArchive?: { bucketName: $util.Output<string>; archivedLogsArn: $util.Output<string> };
}

export interface Bridge {
  api: sst.aws.ApiGatewayWebSocket;
  /** The role of the bridge and heartbeat functions (the cluster maps it to the bridge's group). */
  role: aws.iam.Role;
}

export function deployBridge(input: BridgeInput): Bridge {
  const { config, account, clusterRegion, names, tables, authTokenSecretArn, vpc, makeFunction } = input;
  const previousTokenArn = input.previousAuthTokenSecretArn ?? $util.output('');
  const archivedLogsArn = input.logArchive?.archivedLogsArn ?? $util.output('');
  // $util.all takes at most eight outputs: the optional ARNs travel as one.
  const optionalArns = $util.all([previousTokenArn, archivedLogsArn]);
  const api = new sst.aws.ApiGatewayWebSocket('Bridge');
  const apiExecutionArn = api.nodes.api.executionArn;

  // With pattern targets, the heartbeat starts the registry refresh when a matching namespace appears.
  const newNamespacesCheck = newNamespacesCheckEnvironment(config, names.registryRefresh);
  const registryRefreshFunctionName = newNamespacesCheck[FUNCTION_ENV.registryRefreshFunction];
  const bridgeRole = new aws.iam.Role('BridgeRole', {
    description: 'Bridge and heartbeat functions of the hybrid runner',
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });
  const bridgeRolePolicy = new aws.iam.RolePolicy('BridgeRolePolicy', {
    role: bridgeRole.name,
    policy: $util
      .all([
        account,
        clusterRegion,
        tables.connections.arn,
        tables.state.arn,
        apiExecutionArn,
        api.managementEndpoint,
        authTokenSecretArn,
        optionalArns,
      ])
      .apply(
        ([
          context,
          clusterRegionName,
          connectionsArn,
          stateArn,
          executionArn,
          endpoint,
          tokenArn,
          [previousArn, logsArn],
        ]) =>
          JSON.stringify(
            bridgePolicy({
              ...runnerPolicyRights(
                config,
                context,
                clusterRegionName,
                {
                  authTokenSecretArn: tokenArn,
                  previousAuthTokenSecretArn: previousArn,
                  archivedLogsArn: logsArn,
                },
                Boolean(vpc),
              ),
              functionNames: [names.connect, names.disconnect, names.message, names.heartbeat],
              connectionsTableArn: connectionsArn,
              stateTableArn: stateArn,
              apiExecutionArn: executionArn,
              apiStage: new URL(endpoint).pathname.replace(/^\//, ''),
              ...(registryRefreshFunctionName ? { registryRefreshFunctionName } : {}),
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
