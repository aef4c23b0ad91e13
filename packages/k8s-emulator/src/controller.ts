// SimulatedArgoController: a stand-in for the Argo Workflows controller inside the emulator. It is NOT Argo.
// It moves Workflows Pending → Running → Succeeded/Failed on short timers, creates pods named and labelled
// as Argo v2 does (and checks what a kubelet would: secrets referenced by env, service accounts), writes
// status.nodes, runs onExit handlers, honours shutdown (Stop/Terminate), suspend, activeDeadlineSeconds,
// ttlStrategy and podGC, archives main logs (archiveLogs, to a sink its runner gives), and fires CronWorkflows.
// Tests script outcomes per workflow (image pull failures, unschedulable pods, slow runs, exit codes and logs).
// What it cannot prove: Argo's exact template semantics (parameters, artifacts, retries, loops), scheduling and
// real container runtimes.
//
// This file holds the controller's lifecycle and its reaction to Workflow events; each concern lives in
// controller/ (execution, pods, scenarios, cron workflows, garbage collection, template variables, labels).
import type { EmulatedCluster } from './cluster.ts';
import type { KubeObject } from './resources.ts';
import type { StoreEvent } from './store.ts';
import type { ControllerContext } from './controller/context.ts';
import { createControllerContext } from './controller/context.ts';
import { CronWorkflowScheduler } from './controller/cron-workflows.ts';
import { Execution } from './controller/execution.ts';
import type { Json } from './controller/kube-json.ts';
import { metadataOf } from './controller/kube-json.ts';
import type { Authorizer, ControllerOptions } from './controller/options.ts';
import { resolveControllerOptions } from './controller/options.ts';
import type { Scenario, ScenarioMatch } from './controller/scenarios.ts';
import { executeWorkflow } from './controller/workflow-execution.ts';
import { setPhase } from './controller/workflow-status.ts';

export {
  ANNOTATION_NODE_ID,
  ANNOTATION_NODE_NAME,
  ANNOTATION_POD_NAME_FORMAT,
  ANNOTATION_SCHEDULED_TIME,
  LABEL_COMPLETED,
  LABEL_CRON_WORKFLOW,
  LABEL_ON_EXIT,
  LABEL_PHASE,
  LABEL_WORKFLOW,
} from './controller/argo-labels.ts';
export type { Authorizer, ControllerOptions } from './controller/options.ts';
export type { LogArchiveSink } from './controller/log-archiving.ts';
export { ARGO_DEFAULT_KEY_FORMAT, argoLogArchiveKey } from './controller/log-archiving.ts';
export type { Scenario, ScenarioMatch } from './controller/scenarios.ts';

export class SimulatedArgoController {
  private readonly context: ControllerContext;
  private readonly crons: CronWorkflowScheduler;
  private readonly executions = new Map<string, Execution>();
  private unsubscribe: (() => void) | undefined;
  private cronTicker: NodeJS.Timeout | undefined;
  /** Problems the controller hit (e.g. a status write the CRD schema rejected): tests assert it stays empty. */
  readonly errors: string[];

  constructor(cluster: EmulatedCluster, options: ControllerOptions = {}, authorize: Authorizer = () => true) {
    this.context = createControllerContext(cluster, resolveControllerOptions(options), authorize);
    this.crons = new CronWorkflowScheduler(this.context);
    this.errors = this.context.errors;
  }

  start(): void {
    if (this.unsubscribe) return;
    const { cluster, options, cronWorkflows } = this.context;
    this.unsubscribe = cluster.store.subscribe((event) => this.onEvent(event));
    if (options.cronTickMs > 0 && cronWorkflows) {
      this.cronTicker = setInterval(() => this.checkCrons(options.now()), options.cronTickMs);
      this.cronTicker.unref();
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.cronTicker) clearInterval(this.cronTicker);
    for (const timer of this.context.pendingTimers) clearTimeout(timer);
    this.context.pendingTimers.clear();
    for (const execution of this.executions.values()) {
      execution.deleted = true;
      execution.cancelTimers();
    }
    this.executions.clear();
  }

  /** Scripts the outcome of matching workflows; the latest matching scenario wins. */
  setScenario(match: ScenarioMatch, scenario: Scenario): { remove(): void } {
    return this.context.scenarios.add(match, scenario);
  }

  clearScenarios(): void {
    this.context.scenarios.clear();
  }

  /**
   * Fires every CronWorkflow with a schedule due between its last check and `at` (once, for the latest due
   * time, as Argo does after missed schedules). Tests pass a time to simulate the clock moving on.
   */
  checkCrons(at: Date = this.context.options.now()): KubeObject[] {
    return this.crons.checkCrons(at);
  }

  /** Submits a workflow from a CronWorkflow now, like `argo cron trigger` (ignores suspend and schedule). */
  triggerCron(namespace: string, name: string): KubeObject {
    return this.crons.triggerCron(namespace, name);
  }

  private onEvent(event: StoreEvent): void {
    const { workflows, cronWorkflows } = this.context;
    try {
      if (workflows && event.definition === workflows) this.onWorkflowEvent(event);
      else if (cronWorkflows && event.definition === cronWorkflows) this.crons.onEvent(event);
    } catch (error) {
      this.context.report(error, `handling ${event.type} ${event.definition.kind}`);
    }
  }

  private onWorkflowEvent(event: StoreEvent): void {
    const metadata = metadataOf(event.object);
    const key = `${String(metadata['namespace'])}/${String(metadata['name'])}`;
    const execution = this.executions.get(key);
    if (event.type === 'DELETED') {
      if (execution) {
        execution.deleted = true;
        execution.cancelTimers();
        this.executions.delete(key);
      }
      return;
    }
    const spec = (event.object['spec'] ?? {}) as Json;
    const status = (event.object['status'] ?? {}) as Json;
    if (execution) {
      execution.workflow = event.object;
      const shutdown = spec['shutdown'];
      if ((shutdown === 'Stop' || shutdown === 'Terminate') && shutdown !== execution.requestedShutdown) {
        execution.requestedShutdown = shutdown;
        // Stop lets a running exit handler finish; Terminate cuts everything short.
        if (shutdown === 'Terminate' || !execution.inExitHandler) {
          execution.shutdown = shutdown;
          execution.wake();
        }
      }
      const suspended = spec['suspend'] === true;
      if (suspended !== execution.suspended) {
        execution.suspended = suspended;
        execution.wake();
      }
      return;
    }
    if (event.type === 'ADDED' && !status['phase']) {
      const created = new Execution(event.object);
      created.suspended = spec['suspend'] === true;
      this.executions.set(key, created);
      setPhase(this.context, created, 'Pending');
      void executeWorkflow(this.context, created, (execution, phase) =>
        this.crons.childFinished(execution, phase),
      )
        .catch((error: unknown) => this.context.report(error, `running workflow ${key}`))
        .finally(() => {
          if (this.executions.get(key) === created) this.executions.delete(key);
        });
    }
  }

  /** Resolves when the workflow reaches one of `phases` (default: any finished phase); for tests. */
  async waitForPhase(
    namespace: string,
    name: string,
    phases: string[] = ['Succeeded', 'Failed', 'Error'],
    timeoutMs = 5000,
  ): Promise<KubeObject> {
    const { cluster } = this.context;
    if (!this.context.workflows) throw new Error('the Workflow CRD is not installed in this emulator');
    const workflows = this.context.workflows;
    const check = (): KubeObject | undefined => {
      const workflow = cluster.get(workflows, namespace, name);
      const phase = ((workflow?.['status'] ?? {}) as Json)['phase'];
      return workflow && typeof phase === 'string' && phases.includes(phase) ? workflow : undefined;
    };
    const found = check();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        const phase = ((cluster.get(workflows, namespace, name)?.['status'] ?? {}) as Json)['phase'];
        reject(
          new Error(
            `workflow ${namespace}/${name} did not reach ${phases.join('/')} within ${timeoutMs} ms (phase: ${String(phase ?? 'none')})`,
          ),
        );
      }, timeoutMs);
      const unsubscribe = cluster.store.subscribe(() => {
        const workflow = check();
        if (workflow) {
          clearTimeout(timer);
          unsubscribe();
          resolve(workflow);
        }
      });
    });
  }
}
