// The metrics of this container, one instance: built from the environment the stack sets
// (HYBRID_RUNNER_STAGE, HYBRID_RUNNER_AGENT_ID, HYBRID_RUNNER_METRICS_SINK), or, when the local stage or a
// test injects stand-ins without that environment, local metrics printed as readable lines. Every handler
// publishes them through flushContainerMetrics(). Tracing is the runner context's alone (runner-context.ts):
// the X-Ray SDK would not fit the $connect/$disconnect bundle budget, and they make no traced calls.
import type { MiddlewareObj } from '@middy/core';
import {
  OBSERVABILITY_ENV,
  compactLineSink,
  createMetrics,
  type RunnerMetrics,
} from '@hybrid-runner/observability';

const inUse = new Set<RunnerMetrics>();
let fromEnvironment: RunnerMetrics | undefined;
const localByAgent = new Map<string, RunnerMetrics>();

/** The container's metrics from the stack's environment (built on first use). */
export function environmentMetrics(env: NodeJS.ProcessEnv = process.env): RunnerMetrics {
  if (!fromEnvironment) {
    fromEnvironment = createMetrics({ env });
    inUse.add(fromEnvironment);
  }
  return fromEnvironment;
}

/** Forgets the environment's metrics (the local stage, closing, so a next stage reads its own environment). */
export function forgetEnvironmentMetrics(): void {
  if (fromEnvironment) {
    fromEnvironment.flush();
    inUse.delete(fromEnvironment);
  }
  fromEnvironment = undefined;
}

/**
 * For injected contexts: the metrics they were given, else the environment's when it names a stage (the
 * local stage sets it), else local metrics for the agent (stage `local`, readable lines).
 */
export function injectedMetrics(
  agentId: string,
  given?: RunnerMetrics,
  env: NodeJS.ProcessEnv = process.env,
): RunnerMetrics {
  if (given) {
    inUse.add(given);
    return given;
  }
  if (env[OBSERVABILITY_ENV.stage]) return environmentMetrics(env);
  let local = localByAgent.get(agentId);
  if (!local) {
    local = createMetrics({ stage: 'local', agentId, sink: compactLineSink() });
    localByAgent.set(agentId, local);
    inUse.add(local);
  }
  return local;
}

/** Publishes what every metrics instance of the container recorded so far (long invocations, mid-way). */
export function flushInUseMetrics(): void {
  for (const metrics of inUse) metrics.flush();
}

/** Middy middleware: publish what the invocation recorded, when the handler returns or throws. */
export function flushContainerMetrics<Event, Result>(): MiddlewareObj<Event, Result> {
  return { name: 'flushContainerMetrics', after: flushInUseMetrics, onError: flushInUseMetrics };
}
