// How the simulated controller is configured: timings, clock, default scenario and the executor RBAC check.
import type { AccessRequest } from '../rbac.ts';
import type { LogArchiveSink } from './log-archiving.ts';
import type { Scenario } from './scenarios.ts';

export interface ControllerOptions {
  /** How long a new workflow stays Pending before it runs (ms). Default 20. */
  pendingMs?: number;
  /** How long a pod runs unless a scenario says otherwise (ms). Default 60. */
  podRunMs?: number;
  /** Milliseconds per Argo second, for activeDeadlineSeconds, ttlStrategy and podGC delays. Default 1000. */
  msPerSecond?: number;
  /** How often CronWorkflows are checked against the clock (ms). Default 1000; 0 disables the ticker. */
  cronTickMs?: number;
  /** Clock for cron evaluation. */
  now?: () => Date;
  /** Scenario for workflows no other scenario matches. Default: succeed with generated logs. */
  defaultScenario?: Scenario;
  /**
   * Check executor RBAC as Argo ≥ 3.4 needs it: the workflow's service account must be allowed to create and
   * patch `workflowtaskresults`, or the node ends in Error with the API server's Forbidden message. Off by
   * default so that tests focused on other permissions need not grant it.
   */
  requireExecutorRbac?: boolean;
  /** Argo's `archiveLogs`: every pod's main log is written here when it ends (log-archiving.ts). Default: off. */
  logArchive?: LogArchiveSink;
}

/** Decides whether a user may do something; the emulator passes its RBAC rules (and audit log). */
export type Authorizer = (request: AccessRequest) => boolean;

/** Options with every default filled in. */
export type ResolvedControllerOptions = Required<
  Omit<ControllerOptions, 'defaultScenario' | 'logArchive'>
> & {
  defaultScenario: Scenario;
  logArchive: LogArchiveSink | undefined;
};

export function resolveControllerOptions(options: ControllerOptions): ResolvedControllerOptions {
  return {
    pendingMs: options.pendingMs ?? 20,
    podRunMs: options.podRunMs ?? 60,
    msPerSecond: options.msPerSecond ?? 1000,
    cronTickMs: options.cronTickMs ?? 1000,
    now: options.now ?? (() => new Date()),
    defaultScenario: options.defaultScenario ?? { outcome: 'succeed' },
    requireExecutorRbac: options.requireExecutorRbac ?? false,
    logArchive: options.logArchive,
  };
}
