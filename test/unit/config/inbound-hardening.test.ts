// Stage configuration of the inbound hardening (bridge.allowedSourceCidrs, bridge.rateLimit,
// bridge.previousAuthToken): defaults, refusals with a fix, and the function environment it becomes.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_LIMIT,
  FUNCTION_ENV,
  StageConfigError,
  inboundHardeningEnvironment,
  parseStageConfig,
  readFunctionEnvironment,
  settingsEnvironmentValue,
  sourceCidrsEnvironment,
} from '@hybrid-runner/config';

const minimal = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks', region: 'eu-west-1' } };
const OLD_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:collate/bot-old-AbCdEf';

function problemsOf(bridge: unknown, extra: Record<string, unknown> = {}): string[] {
  try {
    parseStageConfig({ ...minimal, ...extra, bridge }, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as StageConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('bridge inbound hardening configuration', () => {
  it('defaults: any source, the default rate limit, no rotation', () => {
    const { bridge } = parseStageConfig(minimal);
    expect(bridge.allowedSourceCidrs).toEqual([]);
    expect(bridge.rateLimit).toEqual(DEFAULT_RATE_LIMIT);
    expect(bridge.previousAuthToken).toBeUndefined();
  });

  it('takes IPv4 and IPv6 CIDRs', () => {
    const { bridge } = parseStageConfig({
      ...minimal,
      bridge: { allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'] },
    });
    expect(bridge.allowedSourceCidrs).toEqual(['203.0.113.0/24', '2001:db8::/32']);
  });

  it('refuses an invalid CIDR naming its position and the fix', () => {
    const problems = problemsOf({
      allowedSourceCidrs: ['203.0.113.0/24', '10.0.0.5/8', '198.51.100.7', 'nope'],
    });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain('bridge.allowedSourceCidrs[1]');
    expect(problems.join('\n')).toContain('"10.0.0.0/8"');
    expect(problems.join('\n')).toContain('"198.51.100.7/32"');
    expect(problems.join('\n')).toContain('bridge.allowedSourceCidrs[3]');
  });

  it('refuses a CIDR list too long for the connect function environment', () => {
    const many = Array.from({ length: 60 }, (_, index) => `2001:db8:${index.toString(16)}::/48`);
    expect(problemsOf({ allowedSourceCidrs: many }).join('\n')).toMatch(/fewer, wider CIDRs/);
  });

  it('refuses a rate limit that admits nothing or a window beyond an hour', () => {
    expect(problemsOf({ rateLimit: { requests: 0 } }).join('\n')).toContain('at least 1 request');
    expect(problemsOf({ rateLimit: { intervalSeconds: 7200 } }).join('\n')).toContain('at most 3600');
  });

  it('takes a previous token with a retirement time, and refuses an incomplete one', () => {
    const { bridge } = parseStageConfig({
      ...minimal,
      bridge: { previousAuthToken: { secretArn: OLD_ARN, retireAt: '2026-12-10T10:00:00+01:00' } },
    });
    expect(bridge.previousAuthToken).toEqual({ secretArn: OLD_ARN, retireAt: '2026-12-10T10:00:00+01:00' });
    expect(problemsOf({ previousAuthToken: { secretArn: OLD_ARN } }).join('\n')).toContain('retireAt');
    expect(
      problemsOf({ previousAuthToken: { secretArn: OLD_ARN, retireAt: 'next tuesday' } }).join('\n'),
    ).toContain('ISO 8601 with a zone');
    expect(problemsOf({ previousAuthToken: { retireAt: '2026-12-10T09:00:00Z' } }).join('\n')).toContain(
      'exactly one of sstSecret or secretArn',
    );
  });

  it('refuses a previous token in the same secret as authToken, or under the pods secret prefix', () => {
    const same = problemsOf({
      previousAuthToken: { sstSecret: 'CollateAuthToken', retireAt: '2026-12-10T09:00:00Z' },
    });
    expect(same.join('\n')).toContain('names the same secret as authToken');
    const underPrefix = problemsOf({
      previousAuthToken: {
        secretArn:
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:/collate/hybrid-ingestion-runner/old-bot',
        retireAt: '2026-12-10T09:00:00Z',
      },
    });
    expect(underPrefix.join('\n')).toContain('keep the previous bot JWT in a secret outside that prefix');
  });
});

describe('inbound hardening in the function environment', () => {
  const base = (config: ReturnType<typeof parseStageConfig>) => ({
    [FUNCTION_ENV.settings]: settingsEnvironmentValue(config),
    [FUNCTION_ENV.clusterName]: 'prod-eks',
    [FUNCTION_ENV.clusterRegion]: 'eu-west-1',
    [FUNCTION_ENV.connectionsTable]: 'connections',
    [FUNCTION_ENV.stateTable]: 'state',
    [FUNCTION_ENV.authTokenSecret]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bot-new',
    [FUNCTION_ENV.managementEndpoint]: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  });

  it('round-trips CIDRs, rate limit and the previous token from the stage file to the handler', () => {
    const config = parseStageConfig({
      ...minimal,
      bridge: {
        allowedSourceCidrs: ['203.0.113.0/24'],
        rateLimit: { requests: 20, intervalSeconds: 5 },
        previousAuthToken: { secretArn: OLD_ARN, retireAt: '2026-12-10T10:00:00+01:00' },
      },
    });
    const read = readFunctionEnvironment({
      ...base(config),
      ...inboundHardeningEnvironment(config),
      ...sourceCidrsEnvironment(config),
      [FUNCTION_ENV.previousAuthTokenSecret]: OLD_ARN,
    });
    expect(read.allowedSourceCidrs).toEqual(['203.0.113.0/24']);
    expect(read.rateLimit).toEqual({ requests: 20, intervalMs: 5000 });
    expect(read.previousAuthToken).toEqual({
      secretArn: OLD_ARN,
      retireAt: new Date('2026-12-10T09:00:00Z'),
    });
  });

  it('sets no CIDR variable for the default (any source) and always sets the rate limit', () => {
    const env = inboundHardeningEnvironment(parseStageConfig(minimal));
    expect(env).toEqual({ [FUNCTION_ENV.rateLimit]: JSON.stringify({ requests: 600, intervalMs: 60_000 }) });
    expect(sourceCidrsEnvironment(parseStageConfig(minimal))).toEqual({});
    expect(readFunctionEnvironment({ ...base(parseStageConfig(minimal)) }).allowedSourceCidrs).toEqual([]);
  });

  it('refuses half a rotation, naming the fix', () => {
    const config = parseStageConfig(minimal);
    expect(() =>
      readFunctionEnvironment({ ...base(config), [FUNCTION_ENV.previousAuthTokenSecret]: OLD_ARN }),
    ).toThrow(/go together: set bridge.previousAuthToken/);
  });
});
