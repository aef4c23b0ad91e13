// Lambda's 4 KB is for all of a function's variables together; the per-field caps (settings 3 KB, source
// CIDRs 768 B) cannot see each other. The stack checks each function's whole environment once its values
// are known (under Pulumi mocks here, whose ARNs are as long as AWS's: see harness.ts).
import { describe, expect, it } from 'vitest';
import {
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  MAX_SETTINGS_ENV_BYTES,
  MAX_SOURCE_CIDRS_ENV_BYTES,
  SST_ENVIRONMENT_RESERVE_BYTES,
  lambdaEnvironmentBytes,
  parseStageConfig,
  settingsEnvironmentValue,
  type StageConfigInput,
} from '@hybrid-runner/config';
import { runStack } from './harness.ts';

const BASE: StageConfigInput = {
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'prod-eks' },
  ecr: { targetNamespaces: { include: ['team-*', 'data-*'] } },
  secretsManager: { provider: 'managed-aws' },
  logs: { archive: { enabled: true } },
};
const CIDRS = Array.from({ length: 40 }, (_, index) => `10.${index}.0.0/16`);

/** A stage whose ingestion pod settings take `extraBytes` more than the defaults. */
function withSettingsGrownBy(extraBytes: number, input: StageConfigInput): StageConfigInput {
  return {
    ...input,
    ingestionPods: { identity: 'pod-identity', extraEnv: { PADDING: 'x'.repeat(extraBytes) } },
  };
}

describe("each function's whole environment against Lambda's 4 KB (Pulumi mocks)", () => {
  it('deploys a stage whose every function fits, with room for what SST adds', async () => {
    for (const input of [
      withSettingsGrownBy(600, { ...BASE, bridge: { allowedSourceCidrs: CIDRS } }),
      withSettingsGrownBy(1500, { ...BASE, bridge: { mode: 'outbound' } }),
    ]) {
      const run = await runStack(parseStageConfig(input));
      const functions = run.ofType('standin:sst:aws:FunctionArgs');
      expect(functions.length).toBeGreaterThan(1);
      for (const fn of functions) {
        const bytes = lambdaEnvironmentBytes(fn.inputs.environment as Record<string, string>);
        expect(bytes, fn.name).toBeLessThanOrEqual(
          LAMBDA_ENVIRONMENT_LIMIT_BYTES - SST_ENVIRONMENT_RESERVE_BYTES,
        );
      }
    }
  }, 60_000);

  it('refuses, before deploying, settings and CIDRs that each pass their own cap but not together', async () => {
    const input = withSettingsGrownBy(1400, { ...BASE, bridge: { allowedSourceCidrs: CIDRS } });
    const config = parseStageConfig(input);
    expect(Buffer.byteLength(settingsEnvironmentValue(config))).toBeLessThan(MAX_SETTINGS_ENV_BYTES);
    expect(Buffer.byteLength(JSON.stringify(CIDRS))).toBeLessThan(MAX_SOURCE_CIDRS_ENV_BYTES);
    const failure = await runStack(config).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toMatch(
      /^The environment of hybrid-runner-test-connect takes \d+ bytes, over the 3584 left beside SST's own variables/,
    );
    expect(failure?.message).toContain('largest: HYBRID_RUNNER_SETTINGS');
    // Only the connect function carries the CIDRs: the others fit and are not named.
    expect(failure?.message).not.toContain('hybrid-runner-test-message');
  }, 60_000);
});
