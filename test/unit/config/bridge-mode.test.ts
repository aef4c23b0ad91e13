// bridge.mode and the dial-out settings of the stage schema (packages/config/src/schema.ts).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KEEPER_MEMORY_MB,
  FUNCTION_ENV,
  StageConfigError,
  keeperEnvironment,
  outboundUrlOf,
  parseStageConfig,
  readFunctionEnvironment,
} from '@hybrid-runner/config';

const minimal = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks', region: 'eu-west-1' } };

function problemsOf(input: unknown): string[] {
  try {
    parseStageConfig(input, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as StageConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('bridge.mode', () => {
  it('stays inbound by default; outbound dials the Collate server hybrid runner endpoint', () => {
    const inbound = parseStageConfig(minimal);
    expect(inbound.bridge.mode).toBe('inbound');
    const outbound = parseStageConfig({ ...minimal, bridge: { mode: 'outbound' } });
    expect(outbound.bridge.mode).toBe('outbound');
    expect(outboundUrlOf(outbound)).toBe('wss://acme.getcollate.io/api/v1/hybrid-runner/ws');
    expect(outbound.bridge.outbound.keeper).toEqual({
      memoryMb: DEFAULT_KEEPER_MEMORY_MB,
      timeoutSeconds: 900,
    });
  });

  it('takes a configured URL, and plain ws:// only with useSecureProtocols: false', () => {
    const url = 'wss://collate.internal:8443/api/v1/hybrid-runner/ws';
    expect(
      outboundUrlOf(parseStageConfig({ ...minimal, bridge: { mode: 'outbound', outbound: { url } } })),
    ).toBe(url);
    expect(problemsOf({ ...minimal, bridge: { outbound: { url: 'ws://collate.internal/ws' } } })).toEqual([
      expect.stringMatching(
        /^bridge\.outbound\.url: is plain ws:\/\/, which would send the bot JWT unencrypted/,
      ),
    ]);
    const local = parseStageConfig({
      ...minimal,
      useSecureProtocols: false,
      bridge: { mode: 'outbound' },
    });
    expect(outboundUrlOf(local)).toBe('ws://acme.getcollate.io/api/v1/hybrid-runner/ws');
  });

  it('refuses an unknown mode, a URL that is not a WebSocket URL, and keeper sizes Lambda cannot run', () => {
    expect(problemsOf({ ...minimal, bridge: { mode: 'both' } })).toEqual([
      expect.stringMatching(/^bridge\.mode: /),
    ]);
    expect(
      problemsOf({ ...minimal, bridge: { outbound: { url: 'https://acme.getcollate.io/ws' } } }),
    ).toEqual([expect.stringMatching(/^bridge\.outbound\.url: must be a WebSocket URL/)]);
    expect(problemsOf({ ...minimal, bridge: { outbound: { keeper: { timeoutSeconds: 901 } } } })).toEqual([
      "bridge.outbound.keeper.timeoutSeconds: must be at most 900 (Lambda's 15-minute limit)",
    ]);
    expect(problemsOf({ ...minimal, bridge: { outbound: { keeper: { memoryMb: 64 } } } })).toEqual([
      "bridge.outbound.keeper.memoryMb: must be at least 128 (Lambda's smallest size)",
    ]);
  });

  it("refuses the inbound endpoint's guards in outbound mode, which has no inbound endpoint", () => {
    expect(
      problemsOf({
        ...minimal,
        bridge: {
          mode: 'outbound',
          allowedSourceCidrs: ['203.0.113.0/24'],
          jwks: { url: 'https://acme.getcollate.io/api/v1/system/config/jwks' },
        },
      }),
    ).toEqual([
      expect.stringMatching(
        /^bridge\.allowedSourceCidrs: limits who may connect to the inbound endpoint, which bridge\.mode outbound does not create .*: remove it, or set bridge\.mode: inbound$/,
      ),
      expect.stringMatching(
        /^bridge\.jwks: verifies the token Collate presents to the inbound endpoint, .*remove it/,
      ),
    ]);
    // The same guards are fine inbound.
    expect(() =>
      parseStageConfig({ ...minimal, bridge: { allowedSourceCidrs: ['203.0.113.0/24'] } }),
    ).not.toThrow();
  });
});

describe('the keeper environment (keeperEnvironment)', () => {
  const retireAt = '2026-12-31T00:00:00.000Z';

  it('names where the keeper dials, and no rate limit (inbound connections only)', () => {
    const env = keeperEnvironment(parseStageConfig({ ...minimal, bridge: { mode: 'outbound' } }));
    expect(env).toEqual({
      [FUNCTION_ENV.outboundUrl]: 'wss://acme.getcollate.io/api/v1/hybrid-runner/ws',
    });
    expect(env).not.toHaveProperty(FUNCTION_ENV.rateLimit);
  });

  it('carries the retirement time of a token being rotated out, which the handler reads back with its ARN', () => {
    const config = parseStageConfig({
      ...minimal,
      bridge: { mode: 'outbound', previousAuthToken: { sstSecret: 'OldCollateAuthToken', retireAt } },
    });
    const env = keeperEnvironment(config);
    expect(env[FUNCTION_ENV.previousAuthTokenRetireAt]).toBe(retireAt);
    const read = readFunctionEnvironment({
      ...env,
      [FUNCTION_ENV.settings]: JSON.stringify({ agentId: 'a', runnerVersion: '1' }),
      [FUNCTION_ENV.clusterName]: 'prod-eks',
      [FUNCTION_ENV.clusterRegion]: 'eu-west-1',
      [FUNCTION_ENV.stateTable]: 'state',
      [FUNCTION_ENV.authTokenSecret]: 'arn:token',
      [FUNCTION_ENV.previousAuthTokenSecret]: 'arn:old-token',
    });
    expect(read.outboundUrl).toBe('wss://acme.getcollate.io/api/v1/hybrid-runner/ws');
    expect(read.previousAuthToken).toEqual({ secretArn: 'arn:old-token', retireAt: new Date(retireAt) });
    expect(read.rateLimit).toBeUndefined();
  });
});
