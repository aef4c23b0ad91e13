// What each function records, in one call per event, so the handlers stay transport and the rules (which
// outcome label, which runs count as started, what lag means) live next to the catalog.
import { FINAL_RUN_STATES, type KEEPER_HANDOVER_OUTCOMES } from './catalog.ts';
import type { RunnerMetrics } from './metrics.ts';

/** Operations whose success creates a run (RunsStarted). */
export const RUN_OPERATIONS: ReadonlySet<string> = new Set([
  'runPipeline',
  'runAutomationsWorkflow',
  'runApplicationFlow',
]);

/** Operation label of frames that had none (not JSON, no usable type). */
export const UNPARSED_OPERATION = 'unparsed';

export interface BridgeResponseFacts {
  /** The response's `op`; absent when the frame could not be read. */
  op?: string;
  ok: boolean;
  /** The protocol error code of a failed response. */
  errorCode?: string;
  /** The response was remembered from an earlier request with the same id. */
  replayed: boolean;
  latencyMs: number;
}

/** $default: one answered request (Requests, OperationLatency, RunsStarted). */
export function recordBridgeResponse(metrics: RunnerMetrics, facts: BridgeResponseFacts): void {
  const operation = facts.op || UNPARSED_OPERATION;
  metrics.add('Requests', 1, { operation, outcome: facts.ok ? 'ok' : facts.errorCode || 'internal' });
  metrics.add('OperationLatency', facts.latencyMs, { operation });
  if (facts.ok && !facts.replayed && RUN_OPERATIONS.has(operation)) metrics.add('RunsStarted', 1);
}

/** $connect: one handshake, accepted or refused (401/403). */
export function recordHandshake(metrics: RunnerMetrics, accepted: boolean): void {
  metrics.add(accepted ? 'ConnectionsOpened' : 'ConnectionsRefused', 1);
}

/** $connect: a handshake refused because its source lies outside bridge.allowedSourceCidrs. */
export function recordSourceRefused(metrics: RunnerMetrics): void {
  metrics.add('SourcesRefused', 1);
}

/** $default: a request refused by the per-connection rate limit (it also counts in Requests as throttled). */
export function recordThrottledRequest(metrics: RunnerMetrics): void {
  metrics.add('RequestsThrottled', 1);
}

export function hoursLeft(expiresAt: Date, now: Date): number {
  return Math.round(((expiresAt.getTime() - now.getTime()) / 3_600_000) * 100) / 100;
}

/**
 * The heartbeat, every minute: open connections (0 included: the disconnected alarm needs the zero) and, when
 * known, how long the registry pull credentials still hold.
 */
export function recordHeartbeat(
  metrics: RunnerMetrics,
  facts: { connections: number; ecrCredentialsExpireAt?: Date; now: Date },
): void {
  metrics.add('OpenConnections', facts.connections);
  if (facts.ecrCredentialsExpireAt) {
    metrics.add('EcrTokenHoursRemaining', hoursLeft(facts.ecrCredentialsExpireAt, facts.now));
  }
}

export interface ReportedRunFacts {
  pipelineState: string;
  /** The run failed because its pod could never start. */
  failedBeforeStart?: boolean;
  /** When the run entered this state (end, start or creation time, epoch ms), if known. */
  changedAt?: number;
  now: Date;
}

const FINAL: ReadonlySet<string> = new Set(FINAL_RUN_STATES);

/** Reconciliation: one pipelineStatus event pushed to Collate. */
export function recordRunReported(metrics: RunnerMetrics, facts: ReportedRunFacts): void {
  if (FINAL.has(facts.pipelineState)) metrics.add('RunsFinished', 1, { state: facts.pipelineState });
  if (facts.failedBeforeStart) metrics.add('RunsFailedBeforeStart', 1);
  if (facts.changedAt !== undefined) {
    metrics.add('ReconciliationLag', Math.max(0, Math.round((facts.now.getTime() - facts.changedAt) / 1000)));
  }
}

export interface RegistryRefreshFacts {
  ok: boolean;
  updated: number;
  failed: number;
  durationMs: number;
  /** Expiry of the credentials now in place (the new ones, or the old ones after a failed login). */
  expiresAt?: Date;
  now: Date;
}

/** The registry refresh: outcome, namespaces, duration and the hours the credentials in place still hold. */
export function recordRegistryRefresh(metrics: RunnerMetrics, facts: RegistryRefreshFacts): void {
  metrics.add('EcrRefreshFailed', facts.ok ? 0 : 1);
  metrics.add('EcrNamespacesUpdated', facts.updated);
  metrics.add('EcrNamespacesFailed', facts.failed);
  metrics.add('EcrRefreshDuration', Math.round(facts.durationMs));
  if (facts.expiresAt) metrics.add('EcrTokenHoursRemaining', hoursLeft(facts.expiresAt, facts.now));
}

/** Outbound keeper: Collate refused its handshake (401/403); the alarm fires on the first one. */
export function recordDialRefused(metrics: RunnerMetrics): void {
  metrics.add('OutboundDialRefused', 1);
}

/** Outbound keeper: how its invocation left the bridge. */
export function recordKeeperHandover(
  metrics: RunnerMetrics,
  outcome: (typeof KEEPER_HANDOVER_OUTCOMES)[number],
): void {
  metrics.add('KeeperHandovers', 1, { outcome });
}
