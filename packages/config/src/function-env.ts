// The contract between the stack and the Lambda handlers: which environment variables the stack sets and
// how a handler reads them back. One place for both sides, so a renamed variable breaks a type, not a deploy.
import { needsNamespaceList, parseRegistryHost } from '@hybrid-runner/core';
import type { RunnerSettings } from '@hybrid-runner/core';
import { outboundUrlOf, type StageConfig } from './schema.ts';
import { toRunnerSettings } from './settings.ts';

export const FUNCTION_ENV = {
  /** JSON of core's RunnerSettings. */
  settings: 'HYBRID_RUNNER_SETTINGS',
  clusterName: 'HYBRID_RUNNER_CLUSTER_NAME',
  clusterRegion: 'HYBRID_RUNNER_CLUSTER_REGION',
  connectionsTable: 'HYBRID_RUNNER_CONNECTIONS_TABLE',
  stateTable: 'HYBRID_RUNNER_STATE_TABLE',
  /** Secrets Manager ARN of the ingestion bot JWT (plain text). */
  authTokenSecret: 'HYBRID_RUNNER_AUTH_TOKEN_SECRET',
  /** Secrets Manager ARN of Collate's ECR keys (JSON accessKeyId/secretAccessKey); registry function only. */
  ecrKeysSecret: 'HYBRID_RUNNER_ECR_KEYS_SECRET',
  /** JSON of RegistryRefreshEnvironment; the registry function, and the heartbeat when targets have patterns. */
  registry: 'HYBRID_RUNNER_REGISTRY',
  /**
   * Name of the registry refresh function, which the heartbeat invokes (asynchronously) when namespaces
   * matching the targets' patterns appeared since the last refresh; heartbeat only, absent without patterns.
   */
  registryRefreshFunction: 'HYBRID_RUNNER_REGISTRY_REFRESH_FUNCTION',
  /**
   * The API's management endpoint (https://{apiId}.execute-api.{region}.amazonaws.com/{stage}) for
   * PostToConnection. Every function uses it when set, also over the endpoint a WebSocket event implies:
   * the stack sets it to that same endpoint, it keeps working when Collate connects through a custom domain
   * (whose host is not a management endpoint), and the local stage points it at its plain-HTTP stand-in.
   */
  managementEndpoint: 'HYBRID_RUNNER_MANAGEMENT_ENDPOINT',
  /** Outbound mode (stage `bridge.mode: outbound`): the Collate URL the keeper dials; keeper only. */
  outboundUrl: 'HYBRID_RUNNER_OUTBOUND_URL',
  /** Optional JWT verification of Collate's bearer token (stage `bridge.jwks`); connect function only. */
  jwksUrl: 'HYBRID_RUNNER_JWKS_URL',
  jwtIssuer: 'HYBRID_RUNNER_JWT_ISSUER',
  /** JSON list of the CIDRs that may connect (stage `bridge.allowedSourceCidrs`); connect only, absent: any. */
  allowedSourceCidrs: 'HYBRID_RUNNER_ALLOWED_SOURCE_CIDRS',
  /** During a token rotation: Secrets Manager ARN of the previous bot JWT, and when it stops being accepted. */
  previousAuthTokenSecret: 'HYBRID_RUNNER_PREVIOUS_AUTH_TOKEN_SECRET',
  previousAuthTokenRetireAt: 'HYBRID_RUNNER_PREVIOUS_AUTH_TOKEN_RETIRE_AT',
  /** JSON `{requests, intervalMs}`: the per-connection request rate limit (message function). */
  rateLimit: 'HYBRID_RUNNER_RATE_LIMIT',
  /**
   * The bucket of archived pod logs (stage `logs.archive`); only functions that read logs, only when archiving
   * is on. Absent: logs come from the pods alone. Named as the S3 adapter reads it (no HYBRID_RUNNER_ prefix).
   */
  logArchiveBucket: 'LOG_ARCHIVE_BUCKET',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;

/** Lambda allows 4 KB of environment in total; the settings must leave room for the rest. */
export const MAX_SETTINGS_ENV_BYTES = 3 * 1024;

/** Lambda's documented limit for all of a function's environment variables together. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
/**
 * What SST's Function adds to the variables we give it: SST_RESOURCE_App, SST_KEY and SST_KEY_FILE (about
 * 150 bytes), and under `sst dev` seven more (region, AppSync endpoints, function id, app, stage, asset
 * bucket: about 450 with long names). Kept free so neither `sst deploy` nor `sst dev` crosses the limit.
 */
export const SST_ENVIRONMENT_RESERVE_BYTES = 512;

/**
 * The size the limit is checked against. AWS does not say how it counts; the JSON of the variables (what
 * the API carries) is at least the sum of names and values, so a set that fits this way fits either way.
 */
export function lambdaEnvironmentBytes(variables: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(variables));
}

/**
 * The variables a function is deployed with, or an error before anything is deployed when they would not fit
 * beside SST's own (Lambda would refuse the function mid-deploy). The error names the largest variables.
 */
export function checkedFunctionEnvironment(
  functionName: string,
  variables: Record<string, string>,
): Record<string, string> {
  const bytes = lambdaEnvironmentBytes(variables);
  const budget = LAMBDA_ENVIRONMENT_LIMIT_BYTES - SST_ENVIRONMENT_RESERVE_BYTES;
  if (bytes <= budget) return variables;
  const largest = Object.entries(variables)
    .map(([name, value]) => ({ name, bytes: Buffer.byteLength(value) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map((variable) => `${variable.name} ${variable.bytes} B`)
    .join(', ');
  throw new Error(
    `The environment of ${functionName} takes ${bytes} bytes, over the ${budget} left beside SST's own variables ` +
      `within Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit (largest: ${largest}). Shorten what fills them: ` +
      `ingestionPods (affinity, customConfig, tolerations, extraEnv) for ${FUNCTION_ENV.settings}, ` +
      `fewer and wider bridge.allowedSourceCidrs, fewer ecr.targetNamespaces patterns.`,
  );
}

/** What the stack tells the registry function; the function resolves core's RegistryRefreshSettings from it. */
export interface RegistryRefreshEnvironment {
  registry: string;
  /** ECR tokens are per region: the registry's own region. */
  region: string;
  pullSecretName: string;
  /** Namespace names or patterns with `*`; default: the ingestion namespace. */
  include: string[];
  exclude: string[];
  patchServiceAccount: boolean;
  /** Service accounts to patch with the pull secret when patchServiceAccount is true. */
  serviceAccounts: string[];
}

export function registryRefreshSettings(config: StageConfig): RegistryRefreshEnvironment {
  return {
    registry: config.ecr.registry,
    region: parseRegistryHost(config.ecr.registry).region,
    pullSecretName: config.ecr.pullSecretName,
    include: config.ecr.targetNamespaces.include ?? [config.namespaces.ingestion],
    exclude: config.ecr.targetNamespaces.exclude,
    patchServiceAccount: config.ecr.patchServiceAccount,
    serviceAccounts: [config.ingestionPods.serviceAccount.name],
  };
}

/**
 * The heartbeat's variables for its new-namespace check: the registry targets and the refresh function to
 * start. Empty without the refresh or without a pattern among the targets (a literal name cannot appear).
 */
export function newNamespacesCheckEnvironment(
  config: StageConfig,
  registryRefreshFunction: string,
): Record<string, string> {
  if (!config.ecr.enabled) return {};
  const registry = registryRefreshSettings(config);
  if (!needsNamespaceList({ namespaces: registry.include })) return {};
  return {
    [FUNCTION_ENV.registry]: JSON.stringify(registry),
    [FUNCTION_ENV.registryRefreshFunction]: registryRefreshFunction,
  };
}

/** The connect function's JWT verification variables; empty when the stage has no `bridge.jwks`. */
export function jwksEnvironment(config: StageConfig): Record<string, string> {
  const jwks = config.bridge.jwks;
  if (!jwks) return {};
  return {
    [FUNCTION_ENV.jwksUrl]: jwks.url,
    ...(jwks.issuer ? { [FUNCTION_ENV.jwtIssuer]: jwks.issuer } : {}),
  };
}

/**
 * The inbound hardening variables of every bridge function: the rate limit and, during a rotation, when the
 * previous token retires (the stack adds the previous token's ARN, which only it knows).
 */
export function inboundHardeningEnvironment(config: StageConfig): Record<string, string> {
  const { rateLimit } = config.bridge;
  return {
    [FUNCTION_ENV.rateLimit]: JSON.stringify({
      requests: rateLimit.requests,
      intervalMs: rateLimit.intervalSeconds * 1000,
    }),
    ...tokenRotationEnvironment(config),
  };
}

/** During a rotation, when the previous token retires (the stack adds its ARN); empty otherwise. */
export function tokenRotationEnvironment(config: StageConfig): Record<string, string> {
  const { previousAuthToken } = config.bridge;
  return previousAuthToken
    ? { [FUNCTION_ENV.previousAuthTokenRetireAt]: new Date(previousAuthToken.retireAt).toISOString() }
    : {};
}

/**
 * The keeper's own variables (outbound mode): where it dials and, during a rotation, when the previous token
 * retires (both tokens are redacted from responses). No rate limit: it is per inbound connection, and the
 * keeper's socket is the runner's own.
 */
export function keeperEnvironment(config: StageConfig): Record<string, string> {
  return { [FUNCTION_ENV.outboundUrl]: outboundUrlOf(config), ...tokenRotationEnvironment(config) };
}

/** The connect function's source CIDRs; empty (no variable) when any source may connect. */
export function sourceCidrsEnvironment(config: StageConfig): Record<string, string> {
  const cidrs = config.bridge.allowedSourceCidrs;
  return cidrs.length > 0 ? { [FUNCTION_ENV.allowedSourceCidrs]: JSON.stringify(cidrs) } : {};
}

/** The settings JSON for the environment; throws with a fix when it would not fit Lambda's limit. */
export function settingsEnvironmentValue(config: StageConfig, context: { region?: string } = {}): string {
  const json = JSON.stringify(toRunnerSettings(config, context));
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_SETTINGS_ENV_BYTES) {
    throw new Error(
      `The runner settings take ${bytes} bytes, over the ${MAX_SETTINGS_ENV_BYTES} that fit in a Lambda environment: shorten ingestionPods (affinity, customConfig, tolerations, extraEnv).`,
    );
  }
  return json;
}

export interface FunctionEnvironment {
  settings: RunnerSettings;
  clusterName: string;
  clusterRegion: string;
  /** Inbound mode only (the WebSocket API's connections); see requireInbound. */
  connectionsTable?: string;
  stateTable: string;
  authTokenSecret: string;
  /** Inbound mode only (the WebSocket API's management endpoint); see requireInbound. */
  managementEndpoint?: string;
  /** Outbound mode only: where the keeper dials Collate. */
  outboundUrl?: string;
  ecrKeysSecret?: string;
  registry?: RegistryRefreshEnvironment;
  /** JWT verification of Collate's bearer token, when the stage configures `bridge.jwks` (connect only). */
  jwks?: { url: string; issuer?: string };
  /** Sources that may connect; empty: any. */
  allowedSourceCidrs: string[];
  /** During a token rotation: where the previous bot JWT is, and when it stops being accepted. */
  previousAuthToken?: { secretArn: string; retireAt: Date };
  /** Per-connection request rate limit; absent: none. */
  rateLimit?: { requests: number; intervalMs: number };
  /** The bucket of archived pod logs; absent: archiving is off (or the function reads no logs). */
  logArchiveBucket?: string;
}

/** For handlers: reads what the stack set, failing at cold start with the variable's name if one is missing. */
export function readFunctionEnvironment(env: NodeJS.ProcessEnv = process.env): FunctionEnvironment {
  const required = (key: keyof typeof FUNCTION_ENV): string => {
    const value = env[FUNCTION_ENV[key]];
    if (!value)
      throw new Error(`${FUNCTION_ENV[key]} is not set: deploy the function with the stack (sst deploy).`);
    return value;
  };
  const json = <T>(key: keyof typeof FUNCTION_ENV, text: string): T => {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${FUNCTION_ENV[key]} does not hold JSON: redeploy the stack.`);
    }
  };
  const optional = (key: keyof typeof FUNCTION_ENV) => {
    const value = env[FUNCTION_ENV[key]];
    return value ? { [key]: value } : {};
  };
  const registry = env[FUNCTION_ENV.registry];
  const ecrKeysSecret = env[FUNCTION_ENV.ecrKeysSecret];
  const jwksUrl = env[FUNCTION_ENV.jwksUrl];
  const jwtIssuer = env[FUNCTION_ENV.jwtIssuer];
  if (jwtIssuer && !jwksUrl) {
    throw new Error(
      `${FUNCTION_ENV.jwtIssuer} is set without ${FUNCTION_ENV.jwksUrl}: set bridge.jwks.url in the stage file and redeploy.`,
    );
  }
  const previousSecret = env[FUNCTION_ENV.previousAuthTokenSecret];
  const previousRetireAt = env[FUNCTION_ENV.previousAuthTokenRetireAt];
  if (Boolean(previousSecret) !== Boolean(previousRetireAt)) {
    throw new Error(
      `${FUNCTION_ENV.previousAuthTokenSecret} and ${FUNCTION_ENV.previousAuthTokenRetireAt} go together: set bridge.previousAuthToken in the stage file (or remove it) and redeploy.`,
    );
  }
  const retireAt = previousRetireAt ? new Date(previousRetireAt) : undefined;
  if (retireAt && Number.isNaN(retireAt.getTime())) {
    throw new Error(`${FUNCTION_ENV.previousAuthTokenRetireAt} is not an ISO 8601 time: redeploy the stack.`);
  }
  const cidrs = env[FUNCTION_ENV.allowedSourceCidrs];
  const rateLimit = env[FUNCTION_ENV.rateLimit];
  return {
    settings: json<RunnerSettings>('settings', required('settings')),
    clusterName: required('clusterName'),
    clusterRegion: required('clusterRegion'),
    ...optional('connectionsTable'),
    stateTable: required('stateTable'),
    authTokenSecret: required('authTokenSecret'),
    ...optional('managementEndpoint'),
    ...optional('outboundUrl'),
    ...optional('logArchiveBucket'),
    ...(ecrKeysSecret ? { ecrKeysSecret } : {}),
    ...(registry ? { registry: json<RegistryRefreshEnvironment>('registry', registry) } : {}),
    ...(jwksUrl ? { jwks: { url: jwksUrl, ...(jwtIssuer ? { issuer: jwtIssuer } : {}) } } : {}),
    allowedSourceCidrs: cidrs ? json<string[]>('allowedSourceCidrs', cidrs) : [],
    ...(previousSecret && retireAt ? { previousAuthToken: { secretArn: previousSecret, retireAt } } : {}),
    ...(rateLimit
      ? { rateLimit: json<{ requests: number; intervalMs: number }>('rateLimit', rateLimit) }
      : {}),
  };
}

/**
 * The variables only an inbound stage sets (the WebSocket API's), for the functions that need them; a clear
 * error when a function of an outbound stage reaches for them.
 */
export function requireInbound(
  functionEnv: FunctionEnvironment,
  key: 'connectionsTable' | 'managementEndpoint',
): string {
  const value = functionEnv[key];
  if (!value) {
    throw new Error(
      `${FUNCTION_ENV[key]} is not set: it belongs to an inbound bridge (bridge.mode: inbound); deploy the function with the stack (sst deploy).`,
    );
  }
  return value;
}
