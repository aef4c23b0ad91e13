// SimulatedArgoController: a stand-in for the Argo Workflows controller inside the emulator. It is NOT Argo.
// It moves Workflows Pending → Running → Succeeded/Failed on short timers, creates pods named and labelled
// as Argo v2 does (and checks what a kubelet would: secrets referenced by env, service accounts), writes
// status.nodes, runs onExit handlers, honours shutdown (Stop/Terminate), suspend, activeDeadlineSeconds,
// ttlStrategy and podGC, and fires CronWorkflows. Tests script outcomes per workflow (image pull
// failures, unschedulable pods, slow runs, exit codes and logs). What it cannot prove: Argo's exact
// template semantics (parameters, artifacts, retries, loops), scheduling and real container runtimes.
import { argoNodeId, argoPodName } from './argo-names.ts';
import type { EmulatedCluster } from './cluster.ts';
import type { Schedule } from './cron.ts';
import { compileSchedule, parseGoDuration } from './cron.ts';
import type { KubeObject, ResourceDefinition } from './resources.ts';
import type { LabelRequirement } from './selectors.ts';
import { matchesLabels, parseLabelSelector } from './selectors.ts';
import type { StoreEvent } from './store.ts';
import type { AccessRequest } from './rbac.ts';
import { KubeApiError, forbidden } from './status.ts';

export const LABEL_WORKFLOW = 'workflows.argoproj.io/workflow';
export const LABEL_COMPLETED = 'workflows.argoproj.io/completed';
export const LABEL_PHASE = 'workflows.argoproj.io/phase';
export const LABEL_CRON_WORKFLOW = 'workflows.argoproj.io/cron-workflow';
export const LABEL_ON_EXIT = 'workflows.argoproj.io/on-exit';
export const ANNOTATION_POD_NAME_FORMAT = 'workflows.argoproj.io/pod-name-format';
export const ANNOTATION_NODE_NAME = 'workflows.argoproj.io/node-name';
export const ANNOTATION_NODE_ID = 'workflows.argoproj.io/node-id';
export const ANNOTATION_SCHEDULED_TIME = 'workflows.argoproj.io/scheduled-time';
const EXECUTOR_IMAGE = 'quay.io/argoproj/argoexec:v3.7.18';
const NODE_NAME = 'emulated-node-1';

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
}

/** Decides whether a user may do something; the emulator passes its RBAC rules (and audit log). */
export type Authorizer = (request: AccessRequest) => boolean;

/** How a workflow's pods behave. */
export interface Scenario {
  /** `succeed` (default), `fail` (exit code), `imagePullError` (stuck Pending), `unschedulable` (stuck Pending). */
  outcome?: 'succeed' | 'fail' | 'imagePullError' | 'unschedulable';
  /** Exit code of `main` for `fail` (default 1). */
  exitCode?: number;
  /** Lines (or text) written to the `main` container's log while it runs. */
  logs?: string | string[];
  /** Run time of each pod (ms), for slow runs. */
  durationMs?: number;
  /** Waiting reason for `imagePullError` (default ErrImagePull, then ImagePullBackOff after a retry). */
  reason?: 'ErrImagePull' | 'ImagePullBackOff';
  /** Message for `imagePullError`/`unschedulable`. */
  message?: string;
  /** Only pods of this template (e.g. the exit handler's) follow the scenario; others run normally. */
  templateName?: string;
}

/** Which workflows a scenario applies to; every given field must match. */
export interface ScenarioMatch {
  workflowName?: string;
  /** Label selector against the workflow's labels. */
  labelSelector?: string;
  /** Image of a pod's main container (exact, or a substring when it ends with `*`). */
  image?: string;
}

type Json = Record<string, unknown>;
type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: 'Pod' | 'Steps' | 'StepGroup' | 'DAG' | 'Retry';
  templateName: string;
  templateScope: string;
  phase: Phase;
  boundaryID?: string;
  children?: string[];
  message?: string;
  startedAt: string;
  finishedAt?: string;
  progress?: string;
  hostNodeName?: string;
  outputs?: { exitCode?: string };
}

function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function metadataOf(object: KubeObject): Json {
  return (object.metadata ?? {}) as Json;
}

function isJson(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

class Interrupted extends Error {}

/** One workflow being executed: its in-memory status and the signals that cut it short. */
class Execution {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  workflow: KubeObject;
  /** The interruption in force: the running step is cut short while it is set. */
  shutdown: 'Stop' | 'Terminate' | undefined;
  /** The latest shutdown strategy asked for in spec.shutdown (kept while the exit handler runs). */
  requestedShutdown: 'Stop' | 'Terminate' | undefined;
  inExitHandler = false;
  deadlineExceeded = false;
  deleted = false;
  suspended = false;
  readonly nodes: Record<string, NodeStatus> = {};
  private readonly wakers = new Set<() => void>();
  readonly timers = new Set<NodeJS.Timeout>();

  constructor(workflow: KubeObject) {
    this.workflow = workflow;
    const metadata = metadataOf(workflow);
    this.namespace = String(metadata['namespace']);
    this.name = String(metadata['name']);
    this.uid = String(metadata['uid']);
  }

  get spec(): Json {
    return (this.workflow['spec'] ?? {}) as Json;
  }

  get interrupted(): boolean {
    return this.deleted || this.shutdown !== undefined || this.deadlineExceeded;
  }

  wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** Waits `ms`, or less when the run is interrupted; `Infinity` waits for an interruption only. */
  sleep(ms: number): Promise<void> {
    if (this.interrupted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        this.wakers.delete(done);
        resolve();
      };
      if (Number.isFinite(ms)) {
        timer = setTimeout(done, ms);
        this.timers.add(timer);
      }
      this.wakers.add(done);
    });
  }

  async whileSuspended(): Promise<void> {
    while (this.suspended && !this.interrupted) await this.sleep(Number.POSITIVE_INFINITY);
  }

  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.wake();
  }
}

interface CronState {
  lastChecked: Date;
}

const VARIABLE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const KNOWN_VARIABLE_PREFIXES = [
  'workflow.',
  'inputs.',
  'outputs.',
  'steps.',
  'tasks.',
  'pod.',
  'node.',
  'item',
  'retries',
  'lastRetry.',
  'cronworkflow.',
];

export class SimulatedArgoController {
  private readonly cluster: EmulatedCluster;
  private readonly workflows: ResourceDefinition | undefined;
  private readonly cronWorkflows: ResourceDefinition | undefined;
  private readonly pods: ResourceDefinition;
  private readonly events: ResourceDefinition;
  private readonly options: Required<Omit<ControllerOptions, 'defaultScenario'>> & {
    defaultScenario: Scenario;
  };
  private readonly executions = new Map<string, Execution>();
  private readonly crons = new Map<string, CronState>();
  private readonly scenarios: Array<{
    match: ScenarioMatch;
    selector: LabelRequirement[] | undefined;
    scenario: Scenario;
  }> = [];
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;
  private cronTicker: NodeJS.Timeout | undefined;
  /** Problems the controller hit (e.g. a status write the CRD schema rejected): tests assert it stays empty. */
  readonly errors: string[] = [];

  private readonly authorize: Authorizer;

  constructor(cluster: EmulatedCluster, options: ControllerOptions = {}, authorize: Authorizer = () => true) {
    this.cluster = cluster;
    this.authorize = authorize;
    this.workflows = cluster.store.definitionFor('argoproj.io', 'workflows');
    this.cronWorkflows = cluster.store.definitionFor('argoproj.io', 'cronworkflows');
    this.pods = cluster.resource('', 'pods');
    this.events = cluster.resource('', 'events');
    this.options = {
      pendingMs: options.pendingMs ?? 20,
      podRunMs: options.podRunMs ?? 60,
      msPerSecond: options.msPerSecond ?? 1000,
      cronTickMs: options.cronTickMs ?? 1000,
      now: options.now ?? (() => new Date()),
      defaultScenario: options.defaultScenario ?? { outcome: 'succeed' },
      requireExecutorRbac: options.requireExecutorRbac ?? false,
    };
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.cluster.store.subscribe((event) => this.onEvent(event));
    if (this.options.cronTickMs > 0 && this.cronWorkflows) {
      this.cronTicker = setInterval(() => this.checkCrons(this.options.now()), this.options.cronTickMs);
      this.cronTicker.unref();
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.cronTicker) clearInterval(this.cronTicker);
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    for (const execution of this.executions.values()) {
      execution.deleted = true;
      execution.cancelTimers();
    }
    this.executions.clear();
  }

  /** Scripts the outcome of matching workflows; the latest matching scenario wins. */
  setScenario(match: ScenarioMatch, scenario: Scenario): { remove(): void } {
    const entry = {
      match,
      selector: match.labelSelector ? parseLabelSelector(match.labelSelector) : undefined,
      scenario,
    };
    this.scenarios.unshift(entry);
    return {
      remove: () => {
        const index = this.scenarios.indexOf(entry);
        if (index >= 0) this.scenarios.splice(index, 1);
      },
    };
  }

  clearScenarios(): void {
    this.scenarios.length = 0;
  }

  private scenarioFor(workflow: KubeObject, image: string, templateName: string): Scenario {
    const metadata = metadataOf(workflow);
    for (const { match, selector, scenario } of this.scenarios) {
      if (match.workflowName !== undefined && match.workflowName !== metadata['name']) continue;
      if (selector && !matchesLabels(selector, metadata['labels'] as Record<string, string> | undefined))
        continue;
      if (match.image !== undefined) {
        const matches = match.image.endsWith('*')
          ? image.startsWith(match.image.slice(0, -1))
          : image === match.image;
        if (!matches) continue;
      }
      if (scenario.templateName !== undefined && scenario.templateName !== templateName) continue;
      return scenario;
    }
    return this.options.defaultScenario;
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      action();
    }, ms);
    this.pendingTimers.add(timer);
  }

  private report(error: unknown, context: string): void {
    const message =
      error instanceof KubeApiError
        ? `${error.code} ${error.message}`
        : String((error as Error).stack ?? error);
    this.errors.push(`${context}: ${message}`);
  }

  private onEvent(event: StoreEvent): void {
    try {
      if (this.workflows && event.definition === this.workflows) this.onWorkflowEvent(event);
      else if (this.cronWorkflows && event.definition === this.cronWorkflows) this.onCronEvent(event);
    } catch (error) {
      this.report(error, `handling ${event.type} ${event.definition.kind}`);
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
      this.setPhase(created, 'Pending');
      void this.execute(created)
        .catch((error: unknown) => this.report(error, `running workflow ${key}`))
        .finally(() => {
          if (this.executions.get(key) === created) this.executions.delete(key);
        });
    }
  }

  // ---- workflow execution ----

  private writeWorkflow(execution: Execution, change: (workflow: KubeObject) => void): void {
    if (!this.workflows || execution.deleted) return;
    try {
      const updated = this.cluster.mutate(this.workflows, execution.namespace, execution.name, (workflow) => {
        change(workflow);
        workflow['status'] = {
          ...((workflow['status'] as Json | undefined) ?? {}),
          ...this.statusFields(execution, workflow),
        };
      });
      if (!updated) execution.deleted = true;
      else execution.workflow = updated;
    } catch (error) {
      this.report(error, `updating workflow ${execution.namespace}/${execution.name}`);
    }
  }

  private statusFields(execution: Execution, workflow: KubeObject): Json {
    const nodes = Object.values(execution.nodes);
    const pods = nodes.filter((node) => node.type === 'Pod');
    const done = pods.filter((node) =>
      ['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'].includes(node.phase),
    ).length;
    const status = (workflow['status'] ?? {}) as Json;
    return {
      nodes: structuredClone(execution.nodes),
      progress: `${done}/${pods.length}`,
      ...(status['phase'] === undefined ? { phase: 'Pending' } : {}),
    };
  }

  private setPhase(execution: Execution, phase: Phase, message?: string): void {
    this.writeWorkflow(execution, (workflow) => {
      const metadata = metadataOf(workflow);
      const labels = { ...((metadata['labels'] as Record<string, string> | undefined) ?? {}) };
      labels[LABEL_PHASE] = phase;
      const finished = phase !== 'Pending' && phase !== 'Running';
      labels[LABEL_COMPLETED] = finished ? 'true' : 'false';
      metadata['labels'] = labels;
      const status = { ...((workflow['status'] as Json | undefined) ?? {}) };
      status['phase'] = phase;
      if (phase === 'Running' && !status['startedAt']) status['startedAt'] = timestamp();
      if (finished) {
        status['startedAt'] ??= timestamp();
        status['finishedAt'] = timestamp();
        status['conditions'] = [
          { type: 'PodRunning', status: 'False' },
          { type: 'Completed', status: 'True' },
        ];
      }
      if (message !== undefined) status['message'] = message;
      workflow['status'] = status;
    });
  }

  private validateSpec(spec: Json): string | undefined {
    if (spec['workflowTemplateRef'])
      return 'workflowTemplateRef is not supported by the simulated controller';
    const templates = Array.isArray(spec['templates']) ? (spec['templates'] as Json[]) : [];
    const names = new Set(templates.map((t) => String(t['name'])));
    const entrypoint = spec['entrypoint'];
    if (typeof entrypoint !== 'string' || entrypoint === '') return 'spec.entrypoint is required';
    if (!names.has(entrypoint)) return `spec.entrypoint template ${entrypoint} not found`;
    const onExit = spec['onExit'];
    if (typeof onExit === 'string' && onExit !== '' && !names.has(onExit))
      return `spec.onExit template ${onExit} not found`;
    const declared = new Set(
      ((spec['arguments'] as Json | undefined)?.['parameters'] as Json[] | undefined)?.map(
        (p) => `workflow.parameters.${String(p['name'])}`,
      ) ?? [],
    );
    for (const template of templates) {
      const kinds = [
        'container',
        'script',
        'steps',
        'dag',
        'suspend',
        'resource',
        'data',
        'http',
        'containerSet',
        'plugin',
      ].filter((k) => template[k] !== undefined);
      if (kinds.length !== 1)
        return `templates.${String(template['name'])} must be of exactly one template type`;
      for (const step of (template['steps'] as Json[][] | undefined)?.flat() ?? []) {
        if (step['templateRef'])
          return `templates.${String(template['name'])}.steps: templateRef is not supported by the simulated controller`;
        if (!names.has(String(step['template'])))
          return `templates.${String(template['name'])}.steps failed to resolve template ${String(step['template'])}`;
      }
      for (const task of ((template['dag'] as Json | undefined)?.['tasks'] as Json[] | undefined) ?? []) {
        if (!names.has(String(task['template'])))
          return `templates.${String(template['name'])}.tasks.${String(task['name'])} failed to resolve template ${String(task['template'])}`;
      }
      const inputs = new Set(
        ((template['inputs'] as Json | undefined)?.['parameters'] as Json[] | undefined)?.map(
          (p) => `inputs.parameters.${String(p['name'])}`,
        ) ?? [],
      );
      for (const match of JSON.stringify(template).matchAll(VARIABLE)) {
        const variable = match[1] ?? '';
        if (variable.startsWith('=')) continue; // an expr-lang expression: evaluated by Argo, not checked here
        if (variable.startsWith('workflow.parameters.') && !declared.has(variable)) {
          return `templates.${String(template['name'])}: failed to resolve {{${variable}}}`;
        }
        if (variable.startsWith('inputs.parameters.') && !inputs.has(variable)) {
          return `templates.${String(template['name'])}: failed to resolve {{${variable}}}`;
        }
        if (!KNOWN_VARIABLE_PREFIXES.some((prefix) => variable.startsWith(prefix))) {
          return `templates.${String(template['name'])}: failed to resolve {{${variable}}}`;
        }
      }
    }
    return undefined;
  }

  private async execute(execution: Execution): Promise<void> {
    await execution.sleep(this.options.pendingMs);
    if (execution.deleted) return;
    const problem = this.validateSpec(execution.spec);
    if (problem) {
      this.setPhase(execution, 'Failed', `invalid spec: ${problem}`);
      return;
    }
    this.setPhase(execution, 'Running');
    const deadline = execution.spec['activeDeadlineSeconds'];
    if (typeof deadline === 'number') {
      const timer = setTimeout(() => {
        execution.deadlineExceeded = true;
        execution.wake();
      }, deadline * this.options.msPerSecond);
      execution.timers.add(timer);
    }
    const entrypoint = String(execution.spec['entrypoint']);
    let phase: Phase = 'Failed';
    let failureMessage: string | undefined;
    try {
      const root = await this.runTemplate(execution, entrypoint, execution.name, undefined, undefined);
      phase = root.phase === 'Succeeded' ? 'Succeeded' : root.phase === 'Error' ? 'Error' : 'Failed';
      failureMessage = root.message;
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
    }
    if (execution.deleted) return;
    const onExit = execution.spec['onExit'];
    const workflowStatus = execution.shutdown || execution.deadlineExceeded ? 'Failed' : phase;
    if (typeof onExit === 'string' && onExit !== '' && execution.shutdown !== 'Terminate') {
      // The exit handler runs even after Stop or a deadline; it sees the run's outcome as {{workflow.status}}.
      const stillInterruptedBy = { shutdown: execution.shutdown, deadline: execution.deadlineExceeded };
      execution.shutdown = undefined;
      execution.deadlineExceeded = false;
      execution.inExitHandler = true;
      try {
        await this.runTemplate(execution, onExit, `${execution.name}.onExit`, undefined, undefined, {
          exitHandler: true,
          workflowStatus,
          displayName: `${execution.name}.onExit`,
        });
      } catch (error) {
        if (!(error instanceof Interrupted)) throw error;
      }
      execution.inExitHandler = false;
      execution.shutdown ??= stillInterruptedBy.shutdown;
      execution.deadlineExceeded ||= stillInterruptedBy.deadline;
    }
    if (execution.deleted) return;
    let message = phase === 'Succeeded' ? undefined : failureMessage;
    if (execution.shutdown) message = `Stopped with strategy '${execution.shutdown}'`;
    else if (execution.deadlineExceeded) message = 'Step exceeded its deadline';
    this.setPhase(execution, workflowStatus, message);
    execution.cancelTimers();
    this.afterCompletion(execution, workflowStatus);
  }

  private template(execution: Execution, name: string): Json {
    const templates = (execution.spec['templates'] as Json[] | undefined) ?? [];
    const found = templates.find((t) => t['name'] === name);
    if (!found) throw new Error(`template ${name} vanished`);
    return found;
  }

  private addNode(
    execution: Execution,
    node: Omit<NodeStatus, 'id' | 'templateScope' | 'startedAt' | 'displayName'> & { displayName?: string },
    parentId: string | undefined,
  ): NodeStatus {
    const id = argoNodeId(execution.name, node.name);
    const full: NodeStatus = {
      id,
      displayName: node.displayName ?? node.name,
      templateScope: `local/${execution.name}`,
      startedAt: timestamp(),
      ...node,
    };
    execution.nodes[id] = full;
    if (parentId) {
      const parent = execution.nodes[parentId];
      if (parent) parent.children = [...(parent.children ?? []), id];
    }
    return full;
  }

  private finishNode(node: NodeStatus, phase: Phase, message?: string): NodeStatus {
    node.phase = phase;
    node.finishedAt = timestamp();
    if (message !== undefined) node.message = message;
    else delete node.message;
    return node;
  }

  private async runTemplate(
    execution: Execution,
    templateName: string,
    nodeName: string,
    parentId: string | undefined,
    boundaryId: string | undefined,
    context: { exitHandler?: boolean; workflowStatus?: string; displayName?: string } = {},
  ): Promise<NodeStatus> {
    await execution.whileSuspended();
    if (execution.interrupted) throw new Interrupted();
    const template = this.template(execution, templateName);
    const displayName =
      context.displayName ??
      (nodeName === execution.name ? execution.name : (nodeName.split('.').pop() ?? nodeName));
    if (template['container'] || template['script']) {
      const retryStrategy = (template['retryStrategy'] ?? execution.spec['retryStrategy']) as
        Json | undefined;
      if (retryStrategy) {
        return this.runWithRetries(
          execution,
          template,
          retryStrategy,
          nodeName,
          displayName,
          parentId,
          boundaryId,
          context,
        );
      }
      return this.runPod(execution, template, nodeName, displayName, parentId, boundaryId, context);
    }
    if (Array.isArray(template['steps'])) {
      const node = this.addNode(
        execution,
        {
          name: nodeName,
          displayName,
          type: 'Steps',
          templateName,
          phase: 'Running',
          ...(boundaryId ? { boundaryID: boundaryId } : {}),
        },
        parentId,
      );
      this.writeWorkflow(execution, () => {});
      let previous = node.id;
      for (const [index, group] of (template['steps'] as Json[][]).entries()) {
        const groupNode = this.addNode(
          execution,
          {
            name: `${nodeName}[${index}]`,
            displayName: `[${index}]`,
            type: 'StepGroup',
            templateName,
            phase: 'Running',
            boundaryID: node.id,
          },
          previous,
        );
        const results = await Promise.all(
          group.map((step) =>
            this.runTemplate(
              execution,
              String(step['template']),
              `${nodeName}[${index}].${String(step['name'])}`,
              groupNode.id,
              node.id,
              { ...context, displayName: String(step['name']) },
            ),
          ),
        );
        const failed = results.find((result) => result.phase !== 'Succeeded');
        this.finishNode(
          groupNode,
          failed ? 'Failed' : 'Succeeded',
          failed ? `child '${failed.id}' failed` : undefined,
        );
        if (failed) return this.finishNode(node, 'Failed', `child '${failed.id}' failed`);
        previous = groupNode.id;
      }
      return this.finishNode(node, 'Succeeded');
    }
    if (isJson(template['dag'])) {
      const node = this.addNode(
        execution,
        {
          name: nodeName,
          displayName,
          type: 'DAG',
          templateName,
          phase: 'Running',
          ...(boundaryId ? { boundaryID: boundaryId } : {}),
        },
        parentId,
      );
      const tasks = ((template['dag'] as Json)['tasks'] as Json[] | undefined) ?? [];
      const results = new Map<string, NodeStatus>();
      while (results.size < tasks.length) {
        const ready = tasks.filter(
          (task) =>
            !results.has(String(task['name'])) &&
            ((task['dependencies'] as string[] | undefined) ?? []).every(
              (dep) => results.get(dep)?.phase === 'Succeeded',
            ),
        );
        if (ready.length === 0) break;
        const finished = await Promise.all(
          ready.map((task) =>
            this.runTemplate(
              execution,
              String(task['template']),
              `${nodeName}.${String(task['name'])}`,
              node.id,
              node.id,
              { ...context, displayName: String(task['name']) },
            ),
          ),
        );
        ready.forEach((task, i) => results.set(String(task['name']), finished[i] as NodeStatus));
        const failed = finished.find((result) => result.phase !== 'Succeeded');
        if (failed) return this.finishNode(node, 'Failed', `child '${failed.id}' failed`);
      }
      return this.finishNode(node, 'Succeeded');
    }
    const unsupported = this.addNode(
      execution,
      { name: nodeName, displayName, type: 'Pod', templateName, phase: 'Error' },
      parentId,
    );
    return this.finishNode(
      unsupported,
      'Error',
      `template type of ${templateName} is not supported by the simulated controller`,
    );
  }

  /**
   * A Retry node whose children are the attempts `<node>(0)`, `<node>(1)`, …, as Argo names them; retries
   * after a failed attempt as `retryPolicy` says (OnFailure, the default, for failed main containers; OnError
   * for errors; Always for both) up to `limit` times.
   */
  private async runWithRetries(
    execution: Execution,
    template: Json,
    retryStrategy: Json,
    nodeName: string,
    displayName: string,
    parentId: string | undefined,
    boundaryId: string | undefined,
    context: { exitHandler?: boolean; workflowStatus?: string },
  ): Promise<NodeStatus> {
    const limit =
      retryStrategy['limit'] === undefined ? Number.POSITIVE_INFINITY : Number(retryStrategy['limit']);
    const policy = String(retryStrategy['retryPolicy'] ?? 'OnFailure');
    const retryNode = this.addNode(
      execution,
      {
        name: nodeName,
        displayName,
        type: 'Retry',
        templateName: String(template['name']),
        phase: 'Running',
        ...(boundaryId ? { boundaryID: boundaryId } : {}),
      },
      parentId,
    );
    for (let attempt = 0; ; attempt++) {
      const child = await this.runPod(
        execution,
        template,
        `${nodeName}(${attempt})`,
        `${displayName}(${attempt})`,
        retryNode.id,
        boundaryId,
        context,
      );
      const retryable =
        child.phase === 'Error'
          ? ['OnError', 'Always', 'OnTransientError'].includes(policy)
          : child.phase === 'Failed' && ['OnFailure', 'Always'].includes(policy);
      if (child.phase === 'Succeeded' || !retryable || attempt >= limit || execution.interrupted) {
        return this.finishNode(retryNode, child.phase, child.message);
      }
    }
  }

  private substitute(value: unknown, variables: Record<string, string>): unknown {
    if (typeof value === 'string')
      return value.replace(VARIABLE, (whole, name: string) => variables[name] ?? whole);
    if (Array.isArray(value)) return value.map((item) => this.substitute(item, variables));
    if (isJson(value))
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substitute(v, variables)]));
    return value;
  }

  private buildPod(
    execution: Execution,
    template: Json,
    podName: string,
    node: NodeStatus,
    variables: Record<string, string>,
    exitHandler: boolean,
  ): KubeObject {
    const spec = execution.spec;
    const podMetadata = (spec['podMetadata'] ?? {}) as Json;
    const templateMetadata = (template['metadata'] ?? {}) as Json;
    const script = template['script'] as Json | undefined;
    const source = (template['container'] ?? script ?? {}) as Json;
    const { source: _scriptSource, ...containerFields } = source;
    const main = this.substitute(
      {
        ...containerFields,
        name: 'main',
        ...(script
          ? { command: (source['command'] as unknown) ?? ['sh'], args: ['/argo/staging/script'] }
          : {}),
      },
      variables,
    ) as Json;
    const workflowOwner = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      name: execution.name,
      uid: execution.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    const optional = (key: string, value: unknown): Json =>
      value === undefined || value === null ? {} : { [key]: value };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        labels: {
          ...((podMetadata['labels'] as Json | undefined) ?? {}),
          ...((templateMetadata['labels'] as Json | undefined) ?? {}),
          [LABEL_WORKFLOW]: execution.name,
          [LABEL_COMPLETED]: 'false',
          ...(exitHandler ? { [LABEL_ON_EXIT]: 'true' } : {}),
        },
        annotations: {
          ...((podMetadata['annotations'] as Json | undefined) ?? {}),
          ...((templateMetadata['annotations'] as Json | undefined) ?? {}),
          [ANNOTATION_NODE_NAME]: node.name,
          [ANNOTATION_NODE_ID]: node.id,
          [ANNOTATION_POD_NAME_FORMAT]: 'v2',
        },
        ownerReferences: [workflowOwner],
      },
      spec: {
        restartPolicy: 'Never',
        serviceAccountName: template['serviceAccountName'] ?? spec['serviceAccountName'] ?? 'default',
        ...optional('imagePullSecrets', spec['imagePullSecrets']),
        ...optional('tolerations', template['tolerations'] ?? spec['tolerations']),
        ...optional('nodeSelector', template['nodeSelector'] ?? spec['nodeSelector']),
        ...optional('affinity', template['affinity'] ?? spec['affinity']),
        ...optional('priorityClassName', template['priorityClassName'] ?? spec['priorityClassName']),
        ...optional('securityContext', template['securityContext'] ?? spec['securityContext']),
        ...optional('activeDeadlineSeconds', template['activeDeadlineSeconds']),
        volumes: [
          ...((spec['volumes'] as unknown[] | undefined) ?? []),
          ...((template['volumes'] as unknown[] | undefined) ?? []),
        ],
        initContainers: [{ name: 'init', image: EXECUTOR_IMAGE, command: ['argoexec', 'init'] }],
        containers: [{ name: 'wait', image: EXECUTOR_IMAGE, command: ['argoexec', 'wait'] }, main],
      },
    };
  }

  /** What a kubelet would refuse before starting the container: a referenced Secret or key missing. */
  private missingSecret(namespace: string, pod: KubeObject): { reason: string; message: string } | undefined {
    const secrets = this.cluster.resource('', 'secrets');
    const spec = pod['spec'] as Json;
    for (const container of (spec['containers'] as Json[]) ?? []) {
      for (const env of (container['env'] as Json[] | undefined) ?? []) {
        const ref = (env['valueFrom'] as Json | undefined)?.['secretKeyRef'] as Json | undefined;
        if (!ref || ref['optional'] === true) continue;
        const secret = this.cluster.get(secrets, namespace, String(ref['name']));
        if (!secret)
          return {
            reason: 'CreateContainerConfigError',
            message: `secret "${String(ref['name'])}" not found`,
          };
        const data = { ...((secret['data'] as Json | undefined) ?? {}) };
        if (!(String(ref['key']) in data)) {
          return {
            reason: 'CreateContainerConfigError',
            message: `couldn't find key ${String(ref['key'])} in Secret ${namespace}/${String(ref['name'])}`,
          };
        }
      }
      for (const from of (container['envFrom'] as Json[] | undefined) ?? []) {
        const ref = from['secretRef'] as Json | undefined;
        if (ref && ref['optional'] !== true && !this.cluster.get(secrets, namespace, String(ref['name']))) {
          return {
            reason: 'CreateContainerConfigError',
            message: `secret "${String(ref['name'])}" not found`,
          };
        }
      }
    }
    for (const volume of (spec['volumes'] as Json[] | undefined) ?? []) {
      const ref = volume['secret'] as Json | undefined;
      if (
        ref &&
        ref['optional'] !== true &&
        !this.cluster.get(secrets, namespace, String(ref['secretName']))
      ) {
        return {
          reason: 'ContainerCreating',
          message: `MountVolume.SetUp failed for volume "${String(volume['name'])}" : secret "${String(ref['secretName'])}" not found`,
        };
      }
    }
    return undefined;
  }

  private recordEvent(
    namespace: string,
    podName: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    try {
      const now = timestamp();
      this.cluster.create(this.events, namespace, {
        metadata: { generateName: `${podName}.` },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: podName, namespace },
        reason,
        message,
        type,
        source: { component: reason === 'FailedScheduling' ? 'default-scheduler' : 'kubelet' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (error) {
      this.report(error, `recording event for pod ${namespace}/${podName}`);
    }
  }

  private writePod(namespace: string, name: string, change: (pod: KubeObject) => void): void {
    try {
      this.cluster.mutate(this.pods, namespace, name, change);
    } catch (error) {
      this.report(error, `updating pod ${namespace}/${name}`);
    }
  }

  private async runPod(
    execution: Execution,
    template: Json,
    nodeName: string,
    displayName: string,
    parentId: string | undefined,
    boundaryId: string | undefined,
    context: { exitHandler?: boolean; workflowStatus?: string },
  ): Promise<NodeStatus> {
    const templateName = String(template['name']);
    const node = this.addNode(
      execution,
      {
        name: nodeName,
        displayName,
        type: 'Pod',
        templateName,
        phase: 'Pending',
        ...(boundaryId ? { boundaryID: boundaryId } : {}),
      },
      parentId,
    );
    const podName = argoPodName(execution.name, nodeName, templateName);
    const metadata = metadataOf(execution.workflow);
    const parameters = (
      ((execution.spec['arguments'] as Json | undefined)?.['parameters'] as Json[] | undefined) ?? []
    ).map((p) => [`workflow.parameters.${String(p['name'])}`, String(p['value'] ?? '')]);
    const variables: Record<string, string> = {
      'workflow.name': execution.name,
      'workflow.namespace': execution.namespace,
      'workflow.uid': execution.uid,
      'workflow.serviceAccountName': String(execution.spec['serviceAccountName'] ?? 'default'),
      'workflow.creationTimestamp': String(metadata['creationTimestamp'] ?? ''),
      'workflow.status': context.workflowStatus ?? 'Running',
      'pod.name': podName,
      'node.name': nodeName,
      ...Object.fromEntries(parameters),
    };
    const podObject = this.buildPod(
      execution,
      template,
      podName,
      node,
      variables,
      context.exitHandler === true,
    );
    const image = String(((podObject['spec'] as Json)['containers'] as Json[])[1]?.['image'] ?? '');
    const scenario = this.scenarioFor(execution.workflow, image, templateName);
    const ns = execution.namespace;
    try {
      this.cluster.create(this.pods, ns, podObject);
    } catch (error) {
      const message = error instanceof KubeApiError ? error.message : String(error);
      this.finishNode(node, 'Error', message);
      this.writeWorkflow(execution, () => {});
      return node;
    }
    this.writeWorkflow(execution, () => {});
    const stuck = this.missingSecret(ns, podObject);
    const outcome = scenario.outcome ?? 'succeed';
    if (outcome === 'unschedulable') {
      const message =
        scenario.message ??
        '0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.';
      this.writePod(ns, podName, (pod) => {
        pod['status'] = {
          phase: 'Pending',
          qosClass: 'Burstable',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message,
              lastTransitionTime: timestamp(),
            },
          ],
        };
      });
      this.recordEvent(ns, podName, 'Warning', 'FailedScheduling', message);
      node.message = `Unschedulable: ${message}`;
      this.writeWorkflow(execution, () => {});
      return this.waitForInterruption(execution, node, podName);
    }
    const started = timestamp();
    const scheduled = (pod: KubeObject): void => {
      (pod['spec'] as Json)['nodeName'] = NODE_NAME;
    };
    if (outcome === 'imagePullError' || stuck) {
      const waiting = stuck ?? {
        reason: scenario.reason ?? 'ErrImagePull',
        message:
          scenario.message ??
          `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
      };
      const setWaiting = (reason: string): void =>
        this.writePod(ns, podName, (pod) => {
          scheduled(pod);
          pod['status'] = this.podStatus('Pending', started, {
            main: { waiting: { reason, message: waiting.message } },
            wait: { running: { startedAt: started } },
          });
        });
      setWaiting(waiting.reason);
      this.recordEvent(
        ns,
        podName,
        'Warning',
        waiting.reason === 'CreateContainerConfigError'
          ? 'Failed'
          : waiting.reason === 'ContainerCreating'
            ? 'FailedMount'
            : 'Failed',
        waiting.message,
      );
      node.message = `${waiting.reason}: ${waiting.message}`;
      this.writeWorkflow(execution, () => {});
      if (waiting.reason === 'ErrImagePull' && !scenario.reason) {
        // The kubelet backs off after a failed pull; the pod then reports ImagePullBackOff.
        await execution.sleep(this.options.pendingMs);
        if (!execution.interrupted) {
          setWaiting('ImagePullBackOff');
          node.message = `ImagePullBackOff: Back-off pulling image "${image}"`;
          this.writeWorkflow(execution, () => {});
        }
      }
      return this.waitForInterruption(execution, node, podName);
    }
    // Running.
    this.writePod(ns, podName, (pod) => {
      scheduled(pod);
      pod['status'] = this.podStatus('Running', started, {
        main: { running: { startedAt: started } },
        wait: { running: { startedAt: started } },
      });
    });
    node.phase = 'Running';
    node.hostNodeName = NODE_NAME;
    delete node.message;
    this.writeWorkflow(execution, () => {});
    const lines = this.logLines(scenario, execution, templateName, context.exitHandler === true);
    const duration = scenario.durationMs ?? this.options.podRunMs;
    const stepMs = lines.length > 0 ? duration / lines.length : duration;
    for (const line of lines) {
      if (execution.interrupted) break;
      this.cluster.logs.append(ns, podName, 'main', line);
      await execution.sleep(stepMs);
    }
    if (lines.length === 0) await execution.sleep(duration);
    this.cluster.logs.append(
      ns,
      podName,
      'wait',
      'time="' + timestamp() + '" level=info msg="Main container completed"\n',
    );
    let exitCode = outcome === 'fail' ? (scenario.exitCode ?? 1) : 0;
    let message: string | undefined = exitCode === 0 ? undefined : `Error (exit code ${exitCode})`;
    if (execution.shutdown) {
      exitCode = 143;
      message = `workflow shutdown with strategy:  ${execution.shutdown}`;
    } else if (execution.deadlineExceeded) {
      exitCode = 143;
      message = 'Step exceeded its deadline';
    }
    const executorDenied = this.executorDenied(
      execution,
      String((podObject['spec'] as Json)['serviceAccountName']),
    );
    if (executorDenied && !execution.shutdown && !execution.deadlineExceeded) {
      // The wait container cannot report results: Argo marks the node Error whatever main did.
      exitCode = exitCode === 0 ? 64 : exitCode;
      message = `Error (exit code 64): ${executorDenied}`;
    }
    const finished = timestamp();
    const podPhase = exitCode === 0 ? 'Succeeded' : 'Failed';
    this.cluster.logs.finish(ns, podName, 'main');
    this.cluster.logs.finish(ns, podName, 'wait');
    this.writePod(ns, podName, (pod) => {
      metadataOf(pod)['labels'] = {
        ...((metadataOf(pod)['labels'] as Json | undefined) ?? {}),
        [LABEL_COMPLETED]: 'true',
      };
      pod['status'] = this.podStatus(podPhase, started, {
        main: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt: started,
            finishedAt: finished,
          },
        },
        wait: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: finished } },
      });
    });
    node.outputs = { exitCode: String(exitCode) };
    this.finishNode(node, executorDenied ? 'Error' : exitCode === 0 ? 'Succeeded' : 'Failed', message);
    this.writeWorkflow(execution, () => {});
    this.podCompleted(execution, podName, podPhase);
    return node;
  }

  /** The Forbidden message when the pod's service account may not write workflowtaskresults, if checked. */
  private executorDenied(execution: Execution, serviceAccount: string): string | undefined {
    if (!this.options.requireExecutorRbac) return undefined;
    const namespace = execution.namespace;
    const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
    const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
    for (const verb of ['create', 'patch']) {
      const request = {
        user,
        groups,
        verb,
        apiGroup: 'argoproj.io',
        resource: 'workflowtaskresults',
        namespace,
        name: undefined,
      };
      if (!this.authorize(request)) {
        return forbidden(
          user,
          verb,
          { group: 'argoproj.io', plural: 'workflowtaskresults' },
          namespace,
          undefined,
        ).message;
      }
    }
    return undefined;
  }

  /** A pod that cannot start waits until the run is stopped, terminated, deleted or past its deadline. */
  private async waitForInterruption(
    execution: Execution,
    node: NodeStatus,
    podName: string,
  ): Promise<NodeStatus> {
    await execution.sleep(Number.POSITIVE_INFINITY);
    if (execution.deleted) return node;
    const message = execution.shutdown
      ? `workflow shutdown with strategy:  ${execution.shutdown}`
      : 'Step exceeded its deadline';
    this.writePod(execution.namespace, podName, (pod) => {
      metadataOf(pod)['labels'] = {
        ...((metadataOf(pod)['labels'] as Json | undefined) ?? {}),
        [LABEL_COMPLETED]: 'true',
      };
      pod['status'] = {
        ...((pod['status'] as Json | undefined) ?? {}),
        phase: 'Failed',
        message,
        reason: execution.shutdown ? 'Terminated' : 'DeadlineExceeded',
      };
    });
    this.finishNode(node, 'Failed', message);
    this.writeWorkflow(execution, () => {});
    this.podCompleted(execution, podName, 'Failed');
    return node;
  }

  private podStatus(phase: string, started: string, states: Record<'main' | 'wait', Json>): Json {
    const ready = phase === 'Running' ? 'True' : 'False';
    return {
      phase,
      qosClass: 'Burstable',
      hostIP: '10.0.0.10',
      podIP: '10.0.1.20',
      startTime: started,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: started },
        { type: 'Initialized', status: 'True', lastTransitionTime: started },
        { type: 'ContainersReady', status: ready, lastTransitionTime: started },
        { type: 'Ready', status: ready, lastTransitionTime: started },
      ],
      initContainerStatuses: [
        {
          name: 'init',
          image: EXECUTOR_IMAGE,
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started },
          },
        },
      ],
      containerStatuses: (['wait', 'main'] as const).map((name) => ({
        name,
        image: name === 'wait' ? EXECUTOR_IMAGE : 'main',
        imageID: '',
        ready: (states[name] as Json)['running'] !== undefined,
        restartCount: 0,
        started: (states[name] as Json)['running'] !== undefined,
        state: states[name],
      })),
    };
  }

  private logLines(
    scenario: Scenario,
    execution: Execution,
    templateName: string,
    exitHandler: boolean,
  ): string[] {
    if (scenario.logs !== undefined) {
      const lines = Array.isArray(scenario.logs) ? scenario.logs : scenario.logs.split(/(?<=\n)/);
      return lines.map((line) => (line.endsWith('\n') ? line : `${line}\n`));
    }
    const what = exitHandler ? 'exit handler' : 'step';
    return [
      `[${timestamp()}] INFO SimulatedArgoController (not Argo): ${what} ${templateName} of workflow ${execution.namespace}/${execution.name} started\n`,
      `[${timestamp()}] INFO simulated work in progress\n`,
      `[${timestamp()}] INFO ${what} ${templateName} finished\n`,
    ];
  }

  // ---- garbage collection: podGC and ttlStrategy ----

  private podGcDelay(execution: Execution): number {
    const podGC = (execution.spec['podGC'] ?? {}) as Json;
    const delay =
      typeof podGC['deleteDelayDuration'] === 'string' ? parseGoDuration(podGC['deleteDelayDuration']) : 0;
    return ((delay ?? 0) / 1000) * this.options.msPerSecond;
  }

  private deletePodLater(execution: Execution, podName: string): void {
    const podGC = (execution.spec['podGC'] ?? {}) as Json;
    const selector = (podGC['labelSelector'] as Json | undefined)?.['matchLabels'] as
      Record<string, string> | undefined;
    const remove = (): void => {
      const pod = this.cluster.get(this.pods, execution.namespace, podName);
      if (!pod) return;
      const labels = (metadataOf(pod)['labels'] ?? {}) as Record<string, string>;
      if (selector && !Object.entries(selector).every(([k, v]) => labels[k] === v)) return;
      try {
        this.cluster.delete(this.pods, execution.namespace, podName);
      } catch (error) {
        this.report(error, `podGC of ${execution.namespace}/${podName}`);
      }
    };
    const delay = this.podGcDelay(execution);
    if (delay > 0) this.later(delay, remove);
    else remove();
  }

  private podCompleted(execution: Execution, podName: string, podPhase: string): void {
    const strategy = ((execution.spec['podGC'] ?? {}) as Json)['strategy'];
    if (strategy === 'OnPodCompletion' || (strategy === 'OnPodSuccess' && podPhase === 'Succeeded'))
      this.deletePodLater(execution, podName);
  }

  private afterCompletion(execution: Execution, phase: Phase): void {
    const strategy = ((execution.spec['podGC'] ?? {}) as Json)['strategy'];
    if (strategy === 'OnWorkflowCompletion' || (strategy === 'OnWorkflowSuccess' && phase === 'Succeeded')) {
      const pods = this.cluster.store.list(this.pods, {
        namespace: execution.namespace,
        labels: [{ key: LABEL_WORKFLOW, operator: 'equals', value: execution.name }],
      });
      for (const pod of pods.items) this.deletePodLater(execution, String(metadataOf(pod)['name']));
    }
    const ttl = (execution.spec['ttlStrategy'] ?? {}) as Json;
    const seconds =
      phase === 'Succeeded'
        ? (ttl['secondsAfterSuccess'] ?? ttl['secondsAfterCompletion'])
        : (ttl['secondsAfterFailure'] ?? ttl['secondsAfterCompletion']);
    if (typeof seconds === 'number' && this.workflows) {
      const workflows = this.workflows;
      this.later(seconds * this.options.msPerSecond, () => {
        const current = this.cluster.get(workflows, execution.namespace, execution.name);
        if (!current || metadataOf(current)['uid'] !== execution.uid) return;
        try {
          this.cluster.delete(workflows, execution.namespace, execution.name, {
            propagationPolicy: 'Background',
          });
        } catch (error) {
          this.report(error, `TTL deletion of ${execution.namespace}/${execution.name}`);
        }
      });
    }
    this.cronChildFinished(execution, phase);
  }

  // ---- CronWorkflows ----

  private schedulesOf(cron: KubeObject): Schedule[] {
    const spec = (cron['spec'] ?? {}) as Json;
    const expressions = Array.isArray(spec['schedules'])
      ? (spec['schedules'] as string[])
      : typeof spec['schedule'] === 'string' && spec['schedule']
        ? [spec['schedule']]
        : [];
    if (expressions.length === 0) throw new Error('cron workflow must have at least one schedule');
    const timezone =
      typeof spec['timezone'] === 'string' && spec['timezone'] !== '' ? spec['timezone'] : undefined;
    return expressions.map((expression) => compileSchedule(expression, timezone));
  }

  private onCronEvent(event: StoreEvent): void {
    const metadata = metadataOf(event.object);
    const key = `${String(metadata['namespace'])}/${String(metadata['name'])}`;
    if (event.type === 'DELETED') {
      this.crons.delete(key);
      return;
    }
    if (!this.crons.has(key)) this.crons.set(key, { lastChecked: this.options.now() });
    let problem: string | undefined;
    try {
      this.schedulesOf(event.object);
    } catch (error) {
      problem = (error as Error).message;
    }
    const status = (event.object['status'] ?? {}) as Json;
    const conditions = (status['conditions'] as Json[] | undefined) ?? [];
    const hasError = conditions.some((c) => c['type'] === 'SpecError' && c['message'] === problem);
    if ((problem && !hasError) || (!problem && conditions.some((c) => c['type'] === 'SpecError'))) {
      this.writeCron(String(metadata['namespace']), String(metadata['name']), (s) => {
        s['conditions'] = problem ? [{ type: 'SpecError', status: 'True', message: problem }] : [];
      });
    }
  }

  private writeCron(namespace: string, name: string, change: (status: Json) => void): void {
    if (!this.cronWorkflows) return;
    try {
      this.cluster.mutate(this.cronWorkflows, namespace, name, (cron) => {
        const status = { ...((cron['status'] as Json | undefined) ?? {}) };
        change(status);
        cron['status'] = status;
      });
    } catch (error) {
      this.report(error, `updating cron workflow ${namespace}/${name}`);
    }
  }

  /**
   * Fires every CronWorkflow with a schedule due between its last check and `at` (once, for the latest due
   * time, as Argo does after missed schedules). Tests pass a time to simulate the clock moving on.
   */
  checkCrons(at: Date = this.options.now()): KubeObject[] {
    if (!this.cronWorkflows) return [];
    const fired: KubeObject[] = [];
    for (const cron of this.cluster.store.list(this.cronWorkflows, {}).items) {
      const metadata = metadataOf(cron);
      const key = `${String(metadata['namespace'])}/${String(metadata['name'])}`;
      const state = this.crons.get(key) ?? { lastChecked: new Date(String(metadata['creationTimestamp'])) };
      this.crons.set(key, state);
      const after = state.lastChecked;
      if (at.getTime() <= after.getTime()) continue;
      state.lastChecked = at;
      if (((cron['spec'] ?? {}) as Json)['suspend'] === true) continue;
      let schedules: Schedule[];
      try {
        schedules = this.schedulesOf(cron);
      } catch {
        continue;
      }
      const due = schedules
        .map((s) => s.latestBetween(after, at))
        .filter((d): d is Date => d !== undefined)
        .sort((a, b) => b.getTime() - a.getTime())[0];
      if (!due) continue;
      // A schedule missed by more than startingDeadlineSeconds is skipped, as Argo does.
      const startingDeadline = ((cron['spec'] ?? {}) as Json)['startingDeadlineSeconds'];
      if (typeof startingDeadline === 'number' && at.getTime() - due.getTime() > startingDeadline * 1000)
        continue;
      const workflow = this.fireCron(cron, due);
      if (workflow) fired.push(workflow);
    }
    return fired;
  }

  /** Submits a workflow from a CronWorkflow now, like `argo cron trigger` (ignores suspend and schedule). */
  triggerCron(namespace: string, name: string): KubeObject {
    if (!this.cronWorkflows) throw new Error('the CronWorkflow CRD is not installed in this emulator');
    const cron = this.cluster.get(this.cronWorkflows, namespace, name);
    if (!cron) throw new Error(`cronworkflow ${namespace}/${name} not found`);
    const workflow = this.fireCron(cron, this.options.now(), true);
    if (!workflow)
      throw new Error(
        `cronworkflow ${namespace}/${name} did not submit a workflow (concurrency policy Forbid with an active run)`,
      );
    return workflow;
  }

  private fireCron(cron: KubeObject, scheduledTime: Date, manual = false): KubeObject | undefined {
    if (!this.workflows || !this.cronWorkflows) return undefined;
    const metadata = metadataOf(cron);
    const namespace = String(metadata['namespace']);
    const name = String(metadata['name']);
    const spec = (cron['spec'] ?? {}) as Json;
    const active = this.cluster.store.list(this.workflows, {
      namespace,
      labels: [
        { key: LABEL_CRON_WORKFLOW, operator: 'equals', value: name },
        { key: LABEL_COMPLETED, operator: 'notEquals', value: 'true' },
      ],
    }).items;
    const policy = spec['concurrencyPolicy'] ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0 && !manual) return undefined;
    if (policy === 'Replace') {
      for (const running of active) {
        this.cluster.mutate(this.workflows, namespace, String(metadataOf(running)['name']), (workflow) => {
          (workflow['spec'] as Json)['shutdown'] = 'Terminate';
        });
      }
    }
    const workflowMetadata = (spec['workflowMetadata'] ?? {}) as Json;
    let workflowName = `${name}-${Math.floor(scheduledTime.getTime() / 1000)}`;
    if (this.cluster.get(this.workflows, namespace, workflowName))
      workflowName = `${workflowName}-${Date.now() % 100000}`;
    const workflow = this.cluster.create(this.workflows, namespace, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: {
        name: workflowName,
        labels: { ...((workflowMetadata['labels'] as Json | undefined) ?? {}), [LABEL_CRON_WORKFLOW]: name },
        annotations: {
          ...((workflowMetadata['annotations'] as Json | undefined) ?? {}),
          [ANNOTATION_SCHEDULED_TIME]: timestamp(scheduledTime),
        },
        ownerReferences: [
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'CronWorkflow',
            name,
            uid: String(metadata['uid']),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: structuredClone(spec['workflowSpec'] ?? {}),
    });
    const created = metadataOf(workflow);
    this.writeCron(namespace, name, (status) => {
      status['active'] = [
        ...((status['active'] as Json[] | undefined) ?? []),
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Workflow',
          name: created['name'],
          namespace,
          uid: created['uid'],
        },
      ];
      status['lastScheduledTime'] = timestamp(scheduledTime);
    });
    return workflow;
  }

  private cronChildFinished(execution: Execution, phase: Phase): void {
    if (!this.cronWorkflows || !this.workflows) return;
    const owner = ((metadataOf(execution.workflow)['ownerReferences'] as Json[] | undefined) ?? []).find(
      (ref) => ref['kind'] === 'CronWorkflow',
    );
    if (!owner) return;
    const cronName = String(owner['name']);
    const cron = this.cluster.get(this.cronWorkflows, execution.namespace, cronName);
    if (!cron) return;
    this.writeCron(execution.namespace, cronName, (status) => {
      const active = ((status['active'] as Json[] | undefined) ?? []).filter(
        (ref) => ref['uid'] !== execution.uid,
      );
      if (active.length > 0) status['active'] = active;
      else delete status['active'];
      const counter = phase === 'Succeeded' ? 'succeeded' : 'failed';
      status[counter] = Number(status[counter] ?? 0) + 1;
    });
    // History limits: keep the newest N succeeded and N failed runs of this CronWorkflow.
    const spec = (cron['spec'] ?? {}) as Json;
    const limits: Record<string, number> = {
      Succeeded:
        typeof spec['successfulJobsHistoryLimit'] === 'number' ? spec['successfulJobsHistoryLimit'] : 3,
      Failed: typeof spec['failedJobsHistoryLimit'] === 'number' ? spec['failedJobsHistoryLimit'] : 1,
    };
    const finished = this.cluster.store.list(this.workflows, {
      namespace: execution.namespace,
      labels: [
        { key: LABEL_CRON_WORKFLOW, operator: 'equals', value: cronName },
        { key: LABEL_COMPLETED, operator: 'equals', value: 'true' },
      ],
    }).items;
    for (const [group, limit] of Object.entries(limits)) {
      const runs = finished
        .filter((w) => (group === 'Succeeded') === (((w['status'] ?? {}) as Json)['phase'] === 'Succeeded'))
        .sort((a, b) =>
          String(((b['status'] ?? {}) as Json)['finishedAt']).localeCompare(
            String(((a['status'] ?? {}) as Json)['finishedAt']),
          ),
        );
      for (const old of runs.slice(limit)) {
        try {
          this.cluster.delete(this.workflows, execution.namespace, String(metadataOf(old)['name']));
        } catch (error) {
          if (!(error instanceof KubeApiError && error.code === 404))
            this.report(error, 'cron history cleanup');
        }
      }
    }
  }

  /** Resolves when the workflow reaches one of `phases` (default: any finished phase); for tests. */
  async waitForPhase(
    namespace: string,
    name: string,
    phases: string[] = ['Succeeded', 'Failed', 'Error'],
    timeoutMs = 5000,
  ): Promise<KubeObject> {
    if (!this.workflows) throw new Error('the Workflow CRD is not installed in this emulator');
    const workflows = this.workflows;
    const check = (): KubeObject | undefined => {
      const workflow = this.cluster.get(workflows, namespace, name);
      const phase = ((workflow?.['status'] ?? {}) as Json)['phase'];
      return workflow && typeof phase === 'string' && phases.includes(phase) ? workflow : undefined;
    };
    const found = check();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        const phase = ((this.cluster.get(workflows, namespace, name)?.['status'] ?? {}) as Json)['phase'];
        reject(
          new Error(
            `workflow ${namespace}/${name} did not reach ${phases.join('/')} within ${timeoutMs} ms (phase: ${String(phase ?? 'none')})`,
          ),
        );
      }, timeoutMs);
      const unsubscribe = this.cluster.store.subscribe(() => {
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
