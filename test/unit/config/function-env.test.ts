import { describe, expect, it } from 'vitest';
import {
  FUNCTION_ENV,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  MAX_SETTINGS_ENV_BYTES,
  SST_ENVIRONMENT_RESERVE_BYTES,
  checkedFunctionEnvironment,
  lambdaEnvironmentBytes,
  parseStageConfig,
  readFunctionEnvironment,
  registryRefreshSettings,
  requireInbound,
  settingsEnvironmentValue,
} from '@hybrid-runner/config';

const config = parseStageConfig({
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'eks', region: 'us-east-1' },
});

function environment(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    [FUNCTION_ENV.settings]: settingsEnvironmentValue(config),
    [FUNCTION_ENV.clusterName]: 'eks',
    [FUNCTION_ENV.clusterRegion]: 'us-east-1',
    [FUNCTION_ENV.connectionsTable]: 'connections',
    [FUNCTION_ENV.stateTable]: 'state',
    [FUNCTION_ENV.authTokenSecret]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token-AbCdEf',
    [FUNCTION_ENV.managementEndpoint]: 'https://abc.execute-api.us-east-1.amazonaws.com/$default',
    ...overrides,
  };
}

describe('function environment contract', () => {
  it('round-trips what the stack sets into what a handler reads', () => {
    const read = readFunctionEnvironment(
      environment({
        [FUNCTION_ENV.registry]: JSON.stringify(registryRefreshSettings(config)),
        [FUNCTION_ENV.ecrKeysSecret]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf',
      }),
    );
    expect(read.settings.serverHost).toBe('acme.getcollate.io');
    expect(read.settings.secretsManager.region).toBe('us-east-1');
    expect(read.registry).toEqual({
      registry: '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      pullSecretName: 'omd-registry-credentials',
      include: ['collate-ingestion'],
      exclude: [],
      patchServiceAccount: false,
      serviceAccounts: ['ingestion'],
    });
    expect(read.ecrKeysSecret).toMatch(/secret:keys-/);
  });

  it('reads the log archive bucket when the stack set it, and nothing when archiving is off', () => {
    expect(readFunctionEnvironment(environment()).logArchiveBucket).toBeUndefined();
    expect(
      readFunctionEnvironment(environment({ [FUNCTION_ENV.logArchiveBucket]: 'acme-argo-logs' }))
        .logArchiveBucket,
    ).toBe('acme-argo-logs');
    // The S3 adapter reads this very name.
    expect(FUNCTION_ENV.logArchiveBucket).toBe('LOG_ARCHIVE_BUCKET');
  });

  it('leaves the WebSocket API variables to inbound stages, naming them when an outbound function needs one', () => {
    const outbound = readFunctionEnvironment(
      environment({
        [FUNCTION_ENV.connectionsTable]: undefined,
        [FUNCTION_ENV.managementEndpoint]: undefined,
        [FUNCTION_ENV.outboundUrl]: 'wss://acme.getcollate.io/api/v1/hybrid-runner/ws',
      }),
    );
    expect(outbound.outboundUrl).toBe('wss://acme.getcollate.io/api/v1/hybrid-runner/ws');
    expect(() => requireInbound(outbound, 'connectionsTable')).toThrow(
      'HYBRID_RUNNER_CONNECTIONS_TABLE is not set: it belongs to an inbound bridge (bridge.mode: inbound)',
    );
    expect(requireInbound(readFunctionEnvironment(environment()), 'managementEndpoint')).toMatch(
      /^https:\/\/abc\.execute-api/,
    );
  });

  it('reads the JWT verification variables, and refuses an issuer without a JWKS URL', () => {
    expect(readFunctionEnvironment(environment()).jwks).toBeUndefined();
    const url = 'https://acme.getcollate.io/api/v1/system/config/jwks';
    expect(readFunctionEnvironment(environment({ [FUNCTION_ENV.jwksUrl]: url })).jwks).toEqual({ url });
    expect(
      readFunctionEnvironment(
        environment({ [FUNCTION_ENV.jwksUrl]: url, [FUNCTION_ENV.jwtIssuer]: 'open-metadata.org' }),
      ).jwks,
    ).toEqual({ url, issuer: 'open-metadata.org' });
    expect(() =>
      readFunctionEnvironment(environment({ [FUNCTION_ENV.jwtIssuer]: 'open-metadata.org' })),
    ).toThrow(`${FUNCTION_ENV.jwtIssuer} is set without ${FUNCTION_ENV.jwksUrl}`);
  });

  it('names the missing variable and says to deploy with the stack', () => {
    expect(() => readFunctionEnvironment(environment({ [FUNCTION_ENV.stateTable]: undefined }))).toThrow(
      'HYBRID_RUNNER_STATE_TABLE is not set: deploy the function with the stack (sst deploy).',
    );
  });

  it('reports settings that are not JSON', () => {
    expect(() => readFunctionEnvironment(environment({ [FUNCTION_ENV.settings]: '{oops' }))).toThrow(
      'HYBRID_RUNNER_SETTINGS does not hold JSON: redeploy the stack.',
    );
  });

  it('refuses settings too large for a Lambda environment, saying what to shorten', () => {
    const large = parseStageConfig({
      serverHost: 'acme.getcollate.io',
      cluster: { name: 'eks' },
      ingestionPods: { extraEnv: { BIG: 'x'.repeat(MAX_SETTINGS_ENV_BYTES) } },
    });
    expect(() => settingsEnvironmentValue(large)).toThrow(
      /over the 3072 that fit in a Lambda environment: shorten ingestionPods/,
    );
  });

  it("passes an environment that fits beside SST's variables, and refuses one that would not, naming the largest variables but no value", () => {
    const fits = { A: 'x'.repeat(LAMBDA_ENVIRONMENT_LIMIT_BYTES - SST_ENVIRONMENT_RESERVE_BYTES - 8) };
    expect(lambdaEnvironmentBytes(fits)).toBe(LAMBDA_ENVIRONMENT_LIMIT_BYTES - SST_ENVIRONMENT_RESERVE_BYTES);
    expect(checkedFunctionEnvironment('app-stage-connect', fits)).toBe(fits);
    const value = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AuthTokenSecret-AbCdEf';
    const tooLarge = { ...fits, [FUNCTION_ENV.authTokenSecret]: value };
    let message = '';
    try {
      checkedFunctionEnvironment('app-stage-connect', tooLarge);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      `The environment of app-stage-connect takes ${lambdaEnvironmentBytes(tooLarge)} bytes, over the 3584 left`,
    );
    expect(message).toContain(
      `largest: A ${fits.A.length} B, ${FUNCTION_ENV.authTokenSecret} ${value.length} B`,
    );
    expect(message).toContain('Shorten what fills them');
    expect(message).not.toContain(value);
    // Counted as JSON, escapes included (`{"Q":"\""}`): never less than names plus values.
    expect(lambdaEnvironmentBytes({ Q: '"' })).toBe(10);
  });

  it('takes the ECR login region from the registry host, FIPS and China hosts included', () => {
    const regionOf = (registry: string): string =>
      registryRefreshSettings(
        parseStageConfig({ serverHost: 'acme.getcollate.io', cluster: { name: 'eks' }, ecr: { registry } }),
      ).region;
    expect(regionOf('123456789012.dkr.ecr.ap-south-1.amazonaws.com')).toBe('ap-south-1');
    expect(regionOf('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
    expect(regionOf('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
  });

  it('refuses a registry that is not a bare ECR host when the stage config is parsed', () => {
    for (const registry of ['ghcr.io', 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com']) {
      expect(() =>
        parseStageConfig({ serverHost: 'acme.getcollate.io', cluster: { name: 'eks' }, ecr: { registry } }),
      ).toThrow(/ecr\.registry.*must be an ECR registry host/s);
    }
  });

  it('uses the configured registry targets instead of the ingestion namespace when given', () => {
    const targeted = parseStageConfig({
      serverHost: 'acme.getcollate.io',
      cluster: { name: 'eks' },
      ecr: { targetNamespaces: { include: ['team-*'], exclude: ['team-x'] }, patchServiceAccount: true },
    });
    expect(registryRefreshSettings(targeted)).toMatchObject({
      include: ['team-*'],
      exclude: ['team-x'],
      patchServiceAccount: true,
    });
  });
});
