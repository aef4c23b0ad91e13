// One heartbeat pass, whatever the transport: a runnerStatus event to every open connection (gone ones
// pruned), then a bounded, resumable reconciliation that pushes pipelineStatus events for runs whose state
// changed. Beside them, when the registry targets have patterns, the check for namespaces created since the
// last registry refresh (new-namespaces-check.ts), which starts a refresh for them. Both the expiry and the
// check's record of targeted namespaces are annotations on the same pull secret: one metadata read a beat
// serves both. The scheduled heartbeat runs it over the API Gateway connections; the outbound keeper over its
// socket.
import {
  broadcast,
  heartbeat,
  readPullSecretRecord,
  reconcileRuns,
  refreshForNewNamespaces,
  type Clock,
  type ConnectionStore,
  type HeartbeatOutcome,
  type NewNamespacesOutcome,
  type PullSecretRecord,
  type ReconcileOutcome,
  type Sender,
} from '@hybrid-runner/core';
import { recordHeartbeat, recordRunReported, type RunnerMetrics } from '@hybrid-runner/observability';
import { settleWithin } from './deadline.ts';
import { describeError, logger } from './logger.ts';
import { newNamespacesCheck } from './new-namespaces-check.ts';
import { runnerContext } from './runner-context.ts';

/**
 * Longest wait for the registry expiry before the beat goes out without it: a cluster that does not answer
 * (timeouts, retries) must not hold back the runnerStatus that keeps every connection open.
 */
export const EXPIRY_READ_BUDGET_MS = 3_000;

export interface HeartbeatResult {
  heartbeat: Omit<HeartbeatOutcome, 'reachable' | 'failed'> & { failed: number };
  reconcile?: ReconcileOutcome;
  /** Present when the registry targets have patterns. */
  newNamespaces?: NewNamespacesOutcome;
}

export interface HeartbeatTarget {
  agentId: string;
  runnerVersion: string;
  connections: ConnectionStore;
  sender: Sender;
  metrics: RunnerMetrics;
  clock: Clock;
}

export async function runHeartbeatPass(
  target: HeartbeatTarget,
  remainingMs: () => number,
): Promise<HeartbeatResult> {
  const { sender } = target;
  // Read once per beat, with or without connections: the expiry metric's alarm needs it every minute.
  // Best effort: without the cluster the event omits the expiry and the metric is not reported.
  const budgetMs = Math.min(EXPIRY_READ_BUDGET_MS, remainingMs() / 10);
  // The budget bounds the beat's wait, not the read: the new-namespace check may wait longer for it.
  const pullSecret = runnerContext().then((runner) =>
    readPullSecretRecord(runner.cluster, runner.pullSecret),
  );
  const expiry = settleWithin(
    pullSecret.then((record) => record.ecrCredentialsExpireAt),
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
  const newNamespaces = checkNewNamespaces(pullSecret);
  // The heartbeat needs no cluster: connections stay alive even when the cluster is unreachable.
  const beat = await heartbeat({
    settings: { agentId: target.agentId, runnerVersion: target.runnerVersion },
    store: target.connections,
    sender,
    ecrCredentialsExpireAt: () => expiry,
  });
  const ecrCredentialsExpireAt = await expiry;
  recordHeartbeat(target.metrics, {
    connections: beat.connections,
    ...(ecrCredentialsExpireAt ? { ecrCredentialsExpireAt } : {}),
    now: target.clock.now(),
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
  const checked = await newNamespaces;
  if (checked) result.newNamespaces = checked;
  // Events nobody receives are not worth a pass; an unreported change waits for the next connection.
  if (beat.reachable.length > 0) {
    const runner = await runnerContext();
    result.reconcile = await reconcileRuns({
      cluster: runner.cluster,
      settings: runner.settings,
      clock: runner.clock,
      cursor: runner.cursor,
      remainingMs,
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
  return result;
}

/**
 * Runs beside the beat (it must not delay it) and never rejects: failures are logged and in the result. It
 * takes the beat's read of the pull secret when the check's secret is that one (the same by default).
 */
async function checkNewNamespaces(
  pullSecret: Promise<PullSecretRecord>,
): Promise<NewNamespacesOutcome | undefined> {
  const check = newNamespacesCheck();
  if (!check) return undefined;
  let outcome: NewNamespacesOutcome;
  try {
    const runner = await runnerContext();
    const sameSecret =
      check.settings.ingestionNamespace === runner.pullSecret.namespace &&
      check.settings.secretName === runner.pullSecret.name;
    outcome = await refreshForNewNamespaces(
      {
        cluster: runner.cluster,
        refresh: check.refresh,
        ...(sameSecret ? { targetedNamespaces: pullSecret.then((record) => record.targetedNamespaces) } : {}),
      },
      check.settings,
    );
  } catch (error) {
    outcome = {
      checked: false,
      newNamespaces: [],
      refreshStarted: false,
      error: `new namespaces not checked: ${describeError(error)}`,
    };
  }
  if (outcome.error) {
    logger.warn('New namespaces may lack the pull secret', {
      newNamespaces: outcome.newNamespaces,
      error: outcome.error,
    });
  } else if (outcome.refreshStarted) {
    logger.info('Registry refresh started for new namespaces', { newNamespaces: outcome.newNamespaces });
  }
  return outcome;
}
