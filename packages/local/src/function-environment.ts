// The functions' environment in the local stage: what the stack sets on the Lambda functions (FUNCTION_ENV,
// from the same config helpers), plus the SDK endpoint variables that point them at the stand-ins and the
// runner's keys. It is set in process.env, which is what Lambda's environment is to the handlers, and undone
// on close so a next stage in this process starts from the user's environment.
import { clearEksClusterInfoCache } from '@hybrid-runner/aws';
import {
  FUNCTION_ENV,
  inboundHardeningEnvironment,
  registryRefreshSettings,
  settingsEnvironmentValue,
  sourceCidrsEnvironment,
  type StageConfig,
} from '@hybrid-runner/config';
import { OBSERVABILITY_ENV } from '@hybrid-runner/observability';
import { AWS_ENDPOINT_ENV } from './aws-stand-ins.ts';
import type { Cleanups } from './cleanups.ts';
import { LOCAL_CLUSTER_NAME, LOCAL_REGION, type StageSecretIds } from './stage-config.ts';
import type { AwsKeys } from './stage-credentials.ts';

export interface LocalFunctionEnvironmentOptions {
  config: StageConfig;
  secretIds: StageSecretIds;
  runnerKeys: AwsKeys;
  /** Where the stand-ins listen; secretsManager absent with real Secrets Manager, eks and s3 with a real cluster. */
  endpoints: { dynamodb: string; ecr: string; secretsManager?: string; eks?: string; s3?: string };
  tables: { state: string; connections: string };
  /** The bucket of archived pod logs (the sandbox's artifact repository); absent with a real cluster. */
  logArchiveBucket?: string;
  /** Outbound mode: the URL the keeper dials (the Collate-side stand-in's agent endpoint). */
  outboundUrl?: string;
}

/** The variables to set (undefined: to unset) for the handlers, in inbound or outbound mode. */
export function localFunctionEnvironment(
  options: LocalFunctionEnvironmentOptions,
): Record<string, string | undefined> {
  const { config, secretIds, runnerKeys, endpoints } = options;
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: runnerKeys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: runnerKeys.secretAccessKey,
    AWS_SESSION_TOKEN: runnerKeys.sessionToken,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    [AWS_ENDPOINT_ENV.dynamodb]: endpoints.dynamodb,
    // With real Secrets Manager, whatever the user's environment says about its endpoint stays.
    ...(endpoints.secretsManager ? { [AWS_ENDPOINT_ENV.secretsManager]: endpoints.secretsManager } : {}),
    [AWS_ENDPOINT_ENV.eks]: endpoints.eks,
    [AWS_ENDPOINT_ENV.ecr]: endpoints.ecr,
    [AWS_ENDPOINT_ENV.s3]: endpoints.s3,
    [FUNCTION_ENV.logArchiveBucket]: options.logArchiveBucket,
    [FUNCTION_ENV.settings]: settingsEnvironmentValue(config, { region: LOCAL_REGION }),
    [FUNCTION_ENV.clusterName]: LOCAL_CLUSTER_NAME,
    [FUNCTION_ENV.clusterRegion]: LOCAL_REGION,
    [FUNCTION_ENV.stateTable]: options.tables.state,
    [FUNCTION_ENV.authTokenSecret]: secretIds.authToken,
    // Outbound: no WebSocket API, so none of its variables (connections table, hardening of $connect and
    // $default); the keeper's URL instead. Inbound: source CIDRs, rate limit and a rotation's previous
    // token, as the stack sets them.
    ...(options.outboundUrl !== undefined
      ? { [FUNCTION_ENV.outboundUrl]: options.outboundUrl }
      : {
          [FUNCTION_ENV.connectionsTable]: options.tables.connections,
          ...inboundHardeningEnvironment(config),
          ...sourceCidrsEnvironment(config),
          ...(secretIds.previousAuthToken
            ? { [FUNCTION_ENV.previousAuthTokenSecret]: secretIds.previousAuthToken }
            : {}),
        }),
    [FUNCTION_ENV.ecrKeysSecret]: secretIds.ecrKeys,
    [FUNCTION_ENV.registry]: JSON.stringify(registryRefreshSettings(config)),
    [FUNCTION_ENV.serviceName]: 'hybrid-runner-local',
    // The catalog's metrics, printed as readable lines and kept for GET /_local/metrics.
    [OBSERVABILITY_ENV.stage]: 'local',
    [OBSERVABILITY_ENV.agentId]: config.agentId,
    [OBSERVABILITY_ENV.metricsSink]: 'local',
  };
}

/** Sets variables in process.env (what Lambda's environment is to the handlers); returns an undo. */
export function setEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    previous.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Sets the handlers' environment until the stage closes; the EKS lookups cached from it go with it. */
export function setLocalFunctionEnvironment(
  options: LocalFunctionEnvironmentOptions,
  cleanups: Cleanups,
): void {
  const restore = setEnvironment(localFunctionEnvironment(options));
  cleanups.add(() => {
    restore();
    clearEksClusterInfoCache();
  });
}
