// Every minute (EventBridge): a runnerStatus event to every open connection, gone connections pruned, then
// a bounded, resumable reconciliation pass that pushes pipelineStatus events for runs whose state changed.
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import {
  broadcast,
  heartbeat,
  reconcileRuns,
  type HeartbeatOutcome,
  type ReconcileOutcome,
} from '@hybrid-runner/core';
import { recordHeartbeat, recordRunReported } from '@hybrid-runner/observability';
import { bridgeContext } from '../lib/bridge-context.ts';
import { settleWithin } from '../lib/deadline.ts';
import { describeError, logger } from '../lib/logger.ts';
import { runnerContext } from '../lib/runner-context.ts';
import { senderFor } from '../lib/senders.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

/**
 * Longest wait for the registry expiry before the beat goes out without it: a cluster that does not answer
 * (timeouts, retries) must not hold back the runnerStatus that keeps every connection open.
 */
export const EXPIRY_READ_BUDGET_MS = 3_000;

export interface HeartbeatResult {
  heartbeat: Omit<HeartbeatOutcome, 'reachable' | 'failed'> & { failed: number };
  reconcile?: ReconcileOutcome;
}

export async function handleHeartbeat(
  _event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<HeartbeatResult> {
  const bridge = bridgeContext();
  const sender = senderFor(undefined);
  // Read once per beat, with or without connections: the expiry metric's alarm needs it every minute.
  // Best effort: without the cluster the event omits the expiry and the metric is not reported.
  const budgetMs = Math.min(EXPIRY_READ_BUDGET_MS, context.getRemainingTimeInMillis() / 10);
  const expiry = settleWithin(
    runnerContext().then((runner) => runner.ecrCredentialsExpireAt()),
    budgetMs,
  ).then(
    (read) => {
      if (read.settled) return read.value;
      logger.warn('Registry credentials expiry unknown', {
        error: `the cluster did not answer within ${Math.round(budgetMs)} ms`,
      });
      return undefined;
    },
    (error: unknown) => {
      logger.warn('Registry credentials expiry unknown', { error: describeError(error) });
      return undefined;
    },
  );
  // The heartbeat needs no cluster: connections stay alive even when the cluster is unreachable.
  const beat = await heartbeat({
    settings: { agentId: bridge.agentId, runnerVersion: bridge.runnerVersion },
    store: bridge.connections,
    sender,
    ecrCredentialsExpireAt: () => expiry,
  });
  const ecrCredentialsExpireAt = await expiry;
  recordHeartbeat(bridge.metrics, {
    connections: beat.connections,
    ...(ecrCredentialsExpireAt ? { ecrCredentialsExpireAt } : {}),
    now: bridge.clock.now(),
  });
  for (const failure of beat.failed) {
    logger.warn('Heartbeat not delivered', {
      connectionId: failure.connectionId,
      error: describeError(failure.error),
    });
  }
  const result: HeartbeatResult = {
    heartbeat: {
      connections: beat.connections,
      sent: beat.sent,
      gone: beat.gone,
      failed: beat.failed.length,
    },
  };
  // Events nobody receives are not worth a pass; an unreported change waits for the next connection.
  if (beat.reachable.length > 0) {
    const runner = await runnerContext();
    result.reconcile = await reconcileRuns({
      cluster: runner.cluster,
      settings: runner.settings,
      clock: runner.clock,
      cursor: runner.cursor,
      remainingMs: () => context.getRemainingTimeInMillis(),
      onReported: (run) => recordRunReported(runner.metrics, { ...run, now: runner.clock.now() }),
      publish: async (event) => {
        const outcome = await broadcast({ connections: beat.reachable, message: event, sender });
        for (const failure of outcome.failed) {
          logger.warn('Status event not delivered', {
            connectionId: failure.connectionId,
            error: describeError(failure.error),
          });
        }
        return outcome.sent > 0;
      },
    });
  }
  logger.info('Heartbeat done', { ...result });
  return result;
}

export const handler = middy<ScheduledEvent, HeartbeatResult>()
  .use(flushContainerMetrics())
  .handler((event, context) => handleHeartbeat(event, context));
