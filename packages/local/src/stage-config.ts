// The local stage's configuration: the published defaults plus what the sandbox needs (its cluster, region
// and plain-HTTP server host), with HYBRID_RUNNER__<path> overrides on top, and the secrets it names.
import {
  applyEnvOverrides,
  parseStageConfig,
  type BridgeMode,
  type StageConfig,
} from '@hybrid-runner/config';

export const LOCAL_REGION = 'eu-west-1';
export const LOCAL_CLUSTER_NAME = 'local-sandbox';
export const LOCAL_SERVER_HOST = 'localhost';

/** The local stage's configuration: the published defaults plus what the sandbox needs. */
export function localStageConfig(
  agentId: string,
  env: NodeJS.ProcessEnv = {},
  bridgeMode?: BridgeMode,
): StageConfig {
  const document = applyEnvOverrides(
    {
      agentId,
      ...(bridgeMode ? { bridge: { mode: bridgeMode } } : {}),
      serverHost: LOCAL_SERVER_HOST,
      useSecureProtocols: false,
      cluster: { name: LOCAL_CLUSTER_NAME, region: LOCAL_REGION },
      secretsManager: { provider: 'managed-aws', region: LOCAL_REGION },
      ingestionPods: { identity: 'pod-identity' },
    },
    env,
  );
  return parseStageConfig(document, 'the local stage configuration (HYBRID_RUNNER__* overrides)');
}

/** The Secrets Manager ids (names or ARNs) of the secrets the stack would create for this stage. */
export interface StageSecretIds {
  authToken: string;
  ecrKeys: string;
  /** During a rotation (bridge.previousAuthToken): the previous bot token's. */
  previousAuthToken?: string;
}

/** Secrets Manager name or ARN of a secret the stack would create (SST secret name locally). */
function secretId(location: { sstSecret?: string | undefined; secretArn?: string | undefined }): string {
  return location.secretArn ?? location.sstSecret ?? '';
}

export function stageSecretIds(config: StageConfig): StageSecretIds {
  const previous = config.bridge.previousAuthToken;
  return {
    authToken: secretId(config.authToken),
    ecrKeys: secretId(config.ecr.keys),
    ...(previous ? { previousAuthToken: secretId(previous) } : {}),
  };
}
