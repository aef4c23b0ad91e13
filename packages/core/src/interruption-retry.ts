// Spot interruptions and evictions are not failures: every pod template of a run carries an Argo retryStrategy
// that retries a pod lost to its node (drained, shut down, deleted, under pressure) and never a failed
// ingestion. And the status side: which attempts Argo retried, read from its Retry nodes, for the `reason`.
//
// How Argo (3.7 and 4.1) reports a lost pod, and so what the expression matches:
// - pod gone (node drained by Karpenter on a Spot interruption, node deleted): node phase Error, "pod deleted";
// - kubelet graceful node shutdown: pod Failed with "Pod was terminated in response to imminent node shutdown.";
// - kubelet node-pressure eviction: pod Failed (reason Evicted) with "The node was low on resource: …";
//   Argo copies a failed pod's status message into the node message (inferFailedReason);
// - main container stopped by SIGTERM during a drain's grace period: exit code 143. An ingestion that fails on
//   its own exits 1 (or 137 when out of memory), and neither is retried.
// A run stopped on request is never retried: Argo does not retry nodes of a workflow being shut down.
// `lastRetry.message` exists from Argo 3.5 (docs/retries.md), so both CRD versions we support have it.
import type { ArgoNodeStatus } from './argo-node.ts';

/** Retries after the first attempt; each costs a new pod (and maybe a new node). */
export const INTERRUPTION_RETRY_LIMIT = 2;

/** Message prefixes of a pod lost to its node, as Argo and the kubelet write them (plain text: no regex syntax). */
export const INTERRUPTION_MESSAGES = [
  'pod deleted',
  'Pod was terminated in response to imminent node shutdown',
  'The node was low on resource',
] as const;

/** Exit code of a container stopped by SIGTERM (128 + 15): a drain, not the ingestion's own failure. */
export const SIGTERM_EXIT_CODE = '143';

/** The expr-lang condition Argo evaluates after each failed attempt. */
export function interruptionRetryExpression(): string {
  return (
    `lastRetry.exitCode == "${SIGTERM_EXIT_CODE}" || ` +
    `lastRetry.message matches "^(${INTERRUPTION_MESSAGES.join('|')})"`
  );
}

export interface RetryStrategy {
  limit: number;
  retryPolicy: 'Always';
  expression: string;
  backoff: { duration: string; factor: number };
}

/**
 * The retryStrategy of every pod template. `Always` lets the expression alone decide (Argo ≥ 3.5 does so by
 * default once an expression is given). No backoff.maxDuration: Argo measures it from the first attempt's
 * start, so a run longer than it would never be retried.
 */
export function interruptionRetryStrategy(): RetryStrategy {
  return {
    limit: INTERRUPTION_RETRY_LIMIT,
    retryPolicy: 'Always',
    expression: interruptionRetryExpression(),
    backoff: { duration: '30s', factor: 2 },
  };
}

/** Whether Argo would retry an attempt that ended with this message and exit code (the expression, in TS). */
export function isInterruption(message: string | undefined, exitCode?: string): boolean {
  if (exitCode === SIGTERM_EXIT_CODE) return true;
  return INTERRUPTION_MESSAGES.some((prefix) => (message ?? '').startsWith(prefix));
}

export interface RetriedAttempt {
  /** The attempt's node name, e.g. `run-abc(0)`. */
  name: string;
  message: string;
}

/**
 * Attempts Argo retried: every child of a Retry node but its last, when it ended Failed or Error. Their node
 * ids, so the failure cause can skip them, and their messages, for the reason.
 */
export function retriedAttempts(nodes: Record<string, ArgoNodeStatus> | undefined): {
  ids: Set<string>;
  attempts: RetriedAttempt[];
} {
  const ids = new Set<string>();
  const attempts: RetriedAttempt[] = [];
  for (const node of Object.values(nodes ?? {})) {
    if (node.type !== 'Retry') continue;
    const children = node.children ?? [];
    for (const childId of children.slice(0, -1)) {
      const child = nodes?.[childId];
      if (!child || (child.phase !== 'Failed' && child.phase !== 'Error')) continue;
      ids.add(childId);
      attempts.push({
        name: child.displayName ?? child.name ?? childId,
        message: child.message ?? child.phase,
      });
    }
  }
  return { ids, attempts };
}

/** `retried after 1 interrupted attempt (run-abc(0): pod deleted)`, or undefined when nothing was retried. */
export function describeRetries(attempts: readonly RetriedAttempt[]): string | undefined {
  if (attempts.length === 0) return undefined;
  const plural = attempts.length === 1 ? 'attempt' : 'attempts';
  const detail = attempts.map((attempt) => `${attempt.name}: ${attempt.message}`).join('; ');
  return `retried after ${attempts.length} interrupted ${plural} (${detail})`;
}
