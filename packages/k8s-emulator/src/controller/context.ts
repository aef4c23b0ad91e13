// What every part of the simulated controller shares: the cluster, the resources it watches and writes, its
// options, the scripted scenarios, and where problems and delayed actions go.
import type { EmulatedCluster } from '../cluster.ts';
import type { ResourceDefinition } from '../resources.ts';
import { KubeApiError } from '../status.ts';
import type { Authorizer, ResolvedControllerOptions } from './options.ts';
import { ScenarioBook } from './scenarios.ts';

export interface ControllerContext {
  readonly cluster: EmulatedCluster;
  /** Undefined when the Argo CRDs are not installed in this emulator. */
  readonly workflows: ResourceDefinition | undefined;
  readonly cronWorkflows: ResourceDefinition | undefined;
  readonly pods: ResourceDefinition;
  readonly events: ResourceDefinition;
  readonly options: ResolvedControllerOptions;
  readonly authorize: Authorizer;
  readonly scenarios: ScenarioBook;
  /** Problems the controller hit (e.g. a status write the CRD schema rejected): tests assert it stays empty. */
  readonly errors: string[];
  /** Timers of delayed actions (podGC, ttlStrategy), cleared when the controller stops. */
  readonly pendingTimers: Set<NodeJS.Timeout>;
  report(error: unknown, context: string): void;
  /** Runs `action` after `ms`, unless the controller stops first. */
  later(ms: number, action: () => void): void;
}

export function createControllerContext(
  cluster: EmulatedCluster,
  options: ResolvedControllerOptions,
  authorize: Authorizer,
): ControllerContext {
  const errors: string[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  return {
    cluster,
    workflows: cluster.store.definitionFor('argoproj.io', 'workflows'),
    cronWorkflows: cluster.store.definitionFor('argoproj.io', 'cronworkflows'),
    pods: cluster.resource('', 'pods'),
    events: cluster.resource('', 'events'),
    options,
    authorize,
    scenarios: new ScenarioBook(options.defaultScenario),
    errors,
    pendingTimers,
    report(error, context) {
      const message =
        error instanceof KubeApiError
          ? `${error.code} ${error.message}`
          : String((error as Error).stack ?? error);
      errors.push(`${context}: ${message}`);
    },
    later(ms, action) {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        action();
      }, ms);
      pendingTimers.add(timer);
    },
  };
}
