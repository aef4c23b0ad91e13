// What either side of the Collate bridge (the inbound WebSocket API's functions, the outbound keeper) gets
// from the stage, and the policy rights both derive from it: one place for what the two roles share.
import { FUNCTION_ENV, newNamespacesCheckEnvironment } from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import type { FunctionKey, FunctionVpc, MakeFunction } from './functions.ts';
import { runnerPolicyRights } from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';

export interface BridgeSideInput {
  config: StageConfig;
  account: $util.Output<AccountContext>;
  clusterRegion: $util.Output<string>;
  names: Record<FunctionKey, string>;
  authTokenSecretArn: $util.Output<string>;
  /** During a bot token rotation (bridge.previousAuthToken): the previous token's secret. */
  previousAuthTokenSecretArn?: $util.Output<string>;
  vpc: FunctionVpc;
  baseEnvironment: Record<string, $util.Input<string>>;
  makeFunction: MakeFunction;
  /** With logs.archive: the bucket the functions that serve logs read from, and the objects they may read. */
  logArchive?: { bucketName: $util.Output<string>; archivedLogsArn: $util.Output<string> };
}

/**
 * The policy input both roles share (runnerPolicyRights), once AWS's ARNs are known, with the registry
 * refresh their heartbeat pass may start when the targets have patterns.
 */
export function bridgeSideRights(input: BridgeSideInput) {
  const registryRefreshFunctionName = newNamespacesCheckEnvironment(
    input.config,
    input.names.registryRefresh,
  )[FUNCTION_ENV.registryRefreshFunction];
  return $util
    .all([
      input.account,
      input.clusterRegion,
      input.authTokenSecretArn,
      input.previousAuthTokenSecretArn ?? $util.output(''),
      input.logArchive?.archivedLogsArn ?? $util.output(''),
    ])
    .apply(([account, clusterRegion, authTokenSecretArn, previousAuthTokenSecretArn, archivedLogsArn]) => ({
      ...runnerPolicyRights(
        input.config,
        account,
        clusterRegion,
        { authTokenSecretArn, previousAuthTokenSecretArn, archivedLogsArn },
        Boolean(input.vpc),
      ),
      ...(registryRefreshFunctionName ? { registryRefreshFunctionName } : {}),
    }));
}
