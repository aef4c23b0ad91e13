// Composition root of the outbound keeper: where it dials (HYBRID_RUNNER_OUTBOUND_URL), the bot token it
// presents (Secrets Manager, by ARN; registered for redaction as soon as it is read), the lease in the
// runner-state table, and the timings. Built once per container, or injected by the local stage and tests.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbKeeperLeaseStore, secretsManagerTokenProvider } from '@hybrid-runner/aws';
import { readFunctionEnvironment } from '@hybrid-runner/config';
import {
  DEFAULT_TAKEOVER_POLICY,
  systemClock,
  type Clock,
  type KeeperLeaseStore,
  type KeeperTiming,
  type TakeoverPolicy,
} from '@hybrid-runner/core';
import { registeringSecrets, type RunnerMetrics } from '@hybrid-runner/observability';
import { environmentMetrics, injectedMetrics } from './telemetry.ts';

export interface KeeperContext {
  url: string;
  agentId: string;
  runnerVersion: string;
  /** The bot JWT, read at each keeper start (a rotated secret is used by the next keeper). */
  token: () => Promise<string>;
  lease: KeeperLeaseStore;
  timing: Partial<KeeperTiming>;
  policy: TakeoverPolicy;
  metrics: RunnerMetrics;
  clock: Clock;
}

export interface KeeperOverrides {
  url: string;
  agentId: string;
  runnerVersion: string;
  token: () => Promise<string>;
  lease: KeeperLeaseStore;
  timing?: Partial<KeeperTiming>;
  policy?: TakeoverPolicy;
  metrics?: RunnerMetrics;
  clock?: Clock;
}

let overrides: KeeperOverrides | undefined;
let fromEnvironment: KeeperContext | undefined;

/** For the local stage and tests: use these instead of the environment (undefined: back to the environment). */
export function configureKeeper(next: KeeperOverrides | undefined): void {
  overrides = next;
  fromEnvironment = undefined;
}

export function keeperContext(env: NodeJS.ProcessEnv = process.env): KeeperContext {
  if (overrides) {
    return {
      ...overrides,
      token: registeringSecrets(overrides.token, (token) => [token]),
      timing: overrides.timing ?? {},
      policy: overrides.policy ?? DEFAULT_TAKEOVER_POLICY,
      metrics: injectedMetrics(overrides.agentId, overrides.metrics),
      clock: overrides.clock ?? systemClock,
    };
  }
  if (!fromEnvironment) {
    const functionEnv = readFunctionEnvironment(env);
    if (!functionEnv.outboundUrl) {
      throw new Error(
        'HYBRID_RUNNER_OUTBOUND_URL is not set: the keeper belongs to an outbound bridge (bridge.mode: outbound); deploy it with the stack (sst deploy).',
      );
    }
    fromEnvironment = {
      url: functionEnv.outboundUrl,
      agentId: functionEnv.settings.agentId,
      runnerVersion: functionEnv.settings.runnerVersion,
      token: registeringSecrets(
        secretsManagerTokenProvider({
          client: new SecretsManagerClient({}),
          secretId: functionEnv.authTokenSecret,
          // Each keeper reads it once at its start; caching across keepers would delay a rotation.
          cacheMs: 0,
        }),
        (token) => [token],
      ),
      lease: new DynamoDbKeeperLeaseStore({
        client: new DynamoDBClient({}),
        tableName: functionEnv.stateTable,
      }),
      timing: {},
      policy: DEFAULT_TAKEOVER_POLICY,
      metrics: environmentMetrics(env),
      clock: systemClock,
    };
  }
  return fromEnvironment;
}
