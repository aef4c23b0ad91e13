// Composition root of the bridge's connection-level pieces, split so each function bundles only what it
// uses: this module holds the injected stand-ins (local stage, tests) and the connection store; the token
// check lives in authorizer.ts ($connect only) and the management API sender in senders.ts. None of them
// imports Kubernetes.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbConnectionStore, type ConnectAuthorizer, type RetryPolicy } from '@hybrid-runner/aws';
import { readFunctionEnvironment, requireInbound } from '@hybrid-runner/config';
import { systemClock, type Clock, type ConnectionStore, type Sender } from '@hybrid-runner/core';
import type { RunnerMetrics } from '@hybrid-runner/observability';
import { environmentMetrics, forgetEnvironmentMetrics, injectedMetrics } from './telemetry.ts';

export interface ManagementClientOptions {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  retry?: RetryPolicy;
}

/** What the local stage and tests inject instead of building from the environment. */
export interface BridgeOverrides {
  agentId: string;
  runnerVersion: string;
  connections: ConnectionStore;
  authorizer: ConnectAuthorizer;
  /** Sources that may connect (stage `bridge.allowedSourceCidrs`); absent or empty: any. */
  allowedSourceCidrs?: readonly string[];
  clock?: Clock;
  /** Default: the environment's metrics when it names a stage, else local metrics (telemetry.ts). */
  metrics?: RunnerMetrics;
  /** Fixed management endpoint (tests; the local stage sets HYBRID_RUNNER_MANAGEMENT_ENDPOINT instead). */
  managementEndpoint?: string;
  management?: ManagementClientOptions;
  /** A ready sender for every connection (tests and benchmarks that exclude I/O). */
  sender?: Sender;
}

export interface BridgeContext {
  agentId: string;
  /** Reported in runnerStatus. */
  runnerVersion: string;
  connections: ConnectionStore;
  clock: Clock;
  metrics: RunnerMetrics;
}

let overrides: BridgeOverrides | undefined;
let fromEnvironment: BridgeContext | undefined;

/** The injected stand-ins, if any (authorizer.ts and senders.ts consult them first). */
export function bridgeOverrides(): BridgeOverrides | undefined {
  return overrides;
}

/**
 * For the local stage and tests: use these stand-ins instead of the environment. Either way, whatever was
 * built from the environment so far is dropped (undefined: back to the environment, read afresh).
 */
export function configureBridge(next: BridgeOverrides | undefined): void {
  overrides = next;
  fromEnvironment = undefined;
  forgetEnvironmentMetrics();
  for (const listener of resetListeners) listener();
}

const resetListeners = new Set<() => void>();
/** Lets the other composition modules drop what they cached when the configuration changes. */
export function onBridgeReconfigured(listener: () => void): void {
  resetListeners.add(listener);
}

/** The connection context of this container: injected, or built from the environment on first use. */
export function bridgeContext(env: NodeJS.ProcessEnv = process.env): BridgeContext {
  if (overrides) {
    return {
      agentId: overrides.agentId,
      runnerVersion: overrides.runnerVersion,
      connections: overrides.connections,
      clock: overrides.clock ?? systemClock,
      metrics: injectedMetrics(overrides.agentId, overrides.metrics),
    };
  }
  if (!fromEnvironment) {
    const functionEnv = readFunctionEnvironment(env);
    fromEnvironment = {
      agentId: functionEnv.settings.agentId,
      runnerVersion: functionEnv.settings.runnerVersion,
      connections: new DynamoDbConnectionStore({
        client: new DynamoDBClient({}),
        tableName: requireInbound(functionEnv, 'connectionsTable'),
      }),
      clock: systemClock,
      metrics: environmentMetrics(env),
    };
  }
  return fromEnvironment;
}
