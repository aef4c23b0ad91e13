// EventBridge's part in the local stage: the heartbeat (inbound mode only; outbound, the keeper beats over its
// own socket) and the ECR refresh on in-process schedules, each run through its real handler with a Lambda
// context, and the heartbeat's new-namespace check wired to start this stage's refresh.
import type { RegistryRefreshEnvironment } from '@hybrid-runner/config';
import { REGISTRY_REFRESH_DEFAULTS, needsNamespaceList } from '@hybrid-runner/core';
import type { HeartbeatResult } from '../../../functions/schedule/heartbeat.ts';
import type { EcrRefreshResult } from '../../../functions/schedule/ecr-refresh.ts';
import type { Cleanups } from './cleanups.ts';
import { lambdaContext, scheduledEvent } from './lambda-context.ts';
import { startScheduler, type Scheduler, type TaskOutcome } from './scheduler.ts';
import { LOCAL_REGION } from './stage-config.ts';
import type { StageFunctions } from './stage-functions.ts';

/** Heartbeat period of the local stage (AWS: every minute); HEARTBEAT_SECONDS changes it. */
export const DEFAULT_LOCAL_HEARTBEAT_SECONDS = 15;
/** ECR refresh period, as the stack's default schedule `rate(4 hours)`. */
export const DEFAULT_ECR_REFRESH_SECONDS = 4 * 3600;

/** A context for one scheduled invocation, timing out as the stack's function does. */
function scheduledContext(functionName: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  return lambdaContext({
    functionName,
    region: LOCAL_REGION,
    memoryLimitInMB: 512,
    deadline: () => deadline,
  });
}

/** The terminal line of one heartbeat: who heard it, what reconciling found, what the namespace check did. */
export function heartbeatSummary(result: HeartbeatResult): string {
  const beat = result.heartbeat;
  const reconcile = result.reconcile
    ? `; ${result.reconcile.examined} run(s) examined, ${result.reconcile.reported} status event(s)`
    : '';
  const fresh = result.newNamespaces;
  const namespaces = fresh?.refreshStarted
    ? `; registry refresh started for ${fresh.newNamespaces.join(', ')}`
    : fresh?.error
      ? `; ${fresh.error}`
      : '';
  return `runnerStatus to ${beat.sent} of ${beat.connections} connection(s), ${beat.gone.length} gone, ${beat.failed} failed${reconcile}${namespaces}`;
}

/** The terminal line of one ECR refresh. */
export function ecrRefreshSummary(result: EcrRefreshResult): string {
  return `${result.secretName} updated in ${result.updated} namespace(s)${result.expiresAt ? `, expires ${result.expiresAt}` : ''}`;
}

export interface StageSchedulesOptions {
  functions: StageFunctions;
  /** The ECR refresh handler, composed for this stage's cluster. */
  refreshRegistry: ReturnType<StageFunctions['ecrRefresh']['createEcrRefreshHandler']>;
  /** Outbound mode: no heartbeat function (the keeper sends the heartbeat). */
  outbound: boolean;
  heartbeatSeconds?: number | undefined;
  ecrRefreshSeconds?: number | undefined;
  onTask?: ((outcome: TaskOutcome) => void) | undefined;
}

export function startStageSchedules(options: StageSchedulesOptions, cleanups: Cleanups): Scheduler {
  const { heartbeat } = options.functions;
  const heartbeatSeconds = options.heartbeatSeconds ?? DEFAULT_LOCAL_HEARTBEAT_SECONDS;
  const ecrRefreshMs = (options.ecrRefreshSeconds ?? DEFAULT_ECR_REFRESH_SECONDS) * 1000;
  const scheduler = startScheduler(
    [
      // Outbound: the keeper sends the heartbeat over its own socket; there is no heartbeat function.
      ...(options.outbound
        ? []
        : [
            {
              name: 'heartbeat',
              intervalMs: heartbeatSeconds * 1000,
              // Through the middy handler, as in Lambda, so its metrics are flushed after each beat.
              run: async () =>
                heartbeatSummary(
                  await heartbeat.handler(
                    scheduledEvent(LOCAL_REGION),
                    scheduledContext('heartbeat', 50_000),
                  ),
                ),
            },
          ]),
      {
        name: 'ecr-refresh',
        intervalMs: ecrRefreshMs,
        runAtStart: true,
        // The stack's Scheduler window, at most half the period so a short local period still refreshes.
        flexibleWindowMs: Math.min(REGISTRY_REFRESH_DEFAULTS.maxJitterMinutes * 60_000, ecrRefreshMs / 2),
        run: async () =>
          ecrRefreshSummary(
            await options.refreshRegistry({ trigger: 'schedule' }, scheduledContext('ecr-refresh', 900_000)),
          ),
      },
    ],
    (outcome) => options.onTask?.(outcome),
  );
  cleanups.add(() => scheduler.stop());
  return scheduler;
}

/**
 * The heartbeat's new-namespace check starts this stage's refresh (in AWS: an asynchronous invocation of the
 * refresh function), without waiting for it, when the targets have patterns; no check otherwise.
 */
export function configureNewNamespacesRefresh(
  options: {
    functions: StageFunctions;
    ingestionNamespace: string;
    registry: RegistryRefreshEnvironment;
    scheduler: Scheduler;
  },
  cleanups: Cleanups,
): void {
  const { newNamespacesCheck } = options.functions;
  const { registry, scheduler } = options;
  const settings = {
    ingestionNamespace: options.ingestionNamespace,
    namespaces: registry.include,
    excludeNamespaces: registry.exclude,
    secretName: registry.pullSecretName,
  };
  newNamespacesCheck.configureNewNamespacesCheck(
    needsNamespaceList(settings)
      ? {
          settings,
          refresh: {
            start: async () => {
              void scheduler.runNow('ecr-refresh');
            },
          },
        }
      : null,
  );
  cleanups.add(() => newNamespacesCheck.configureNewNamespacesCheck(undefined));
}
