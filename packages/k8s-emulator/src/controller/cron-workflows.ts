// CronWorkflow scheduling: schedules checked against the clock, concurrency policy, spec errors, status
// (active, lastScheduledTime, counters) and history limits.
import type { Schedule } from '../cron.ts';
import { compileSchedule } from '../cron.ts';
import type { KubeObject } from '../resources.ts';
import { KubeApiError } from '../status.ts';
import type { StoreEvent } from '../store.ts';
import { ANNOTATION_SCHEDULED_TIME, LABEL_COMPLETED, LABEL_CRON_WORKFLOW } from './argo-labels.ts';
import type { ControllerContext } from './context.ts';
import type { Execution, Phase } from './execution.ts';
import type { Json } from './kube-json.ts';
import { metadataOf, timestamp } from './kube-json.ts';

interface CronState {
  lastChecked: Date;
}

export class CronWorkflowScheduler {
  private readonly ctx: ControllerContext;
  private readonly crons = new Map<string, CronState>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

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

  onEvent(event: StoreEvent): void {
    const metadata = metadataOf(event.object);
    const key = `${String(metadata['namespace'])}/${String(metadata['name'])}`;
    if (event.type === 'DELETED') {
      this.crons.delete(key);
      return;
    }
    if (!this.crons.has(key)) this.crons.set(key, { lastChecked: this.ctx.options.now() });
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
    if (!this.ctx.cronWorkflows) return;
    try {
      this.ctx.cluster.mutate(this.ctx.cronWorkflows, namespace, name, (cron) => {
        const status = { ...((cron['status'] as Json | undefined) ?? {}) };
        change(status);
        cron['status'] = status;
      });
    } catch (error) {
      this.ctx.report(error, `updating cron workflow ${namespace}/${name}`);
    }
  }

  /**
   * Fires every CronWorkflow with a schedule due between its last check and `at` (once, for the latest due
   * time, as Argo does after missed schedules). Tests pass a time to simulate the clock moving on.
   */
  checkCrons(at: Date = this.ctx.options.now()): KubeObject[] {
    if (!this.ctx.cronWorkflows) return [];
    const fired: KubeObject[] = [];
    for (const cron of this.ctx.cluster.store.list(this.ctx.cronWorkflows, {}).items) {
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
    if (!this.ctx.cronWorkflows) throw new Error('the CronWorkflow CRD is not installed in this emulator');
    const cron = this.ctx.cluster.get(this.ctx.cronWorkflows, namespace, name);
    if (!cron) throw new Error(`cronworkflow ${namespace}/${name} not found`);
    const workflow = this.fireCron(cron, this.ctx.options.now(), true);
    if (!workflow)
      throw new Error(
        `cronworkflow ${namespace}/${name} did not submit a workflow (concurrency policy Forbid with an active run)`,
      );
    return workflow;
  }

  private fireCron(cron: KubeObject, scheduledTime: Date, manual = false): KubeObject | undefined {
    if (!this.ctx.workflows || !this.ctx.cronWorkflows) return undefined;
    const metadata = metadataOf(cron);
    const namespace = String(metadata['namespace']);
    const name = String(metadata['name']);
    const spec = (cron['spec'] ?? {}) as Json;
    const active = this.ctx.cluster.store.list(this.ctx.workflows, {
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
        this.ctx.cluster.mutate(
          this.ctx.workflows,
          namespace,
          String(metadataOf(running)['name']),
          (workflow) => {
            (workflow['spec'] as Json)['shutdown'] = 'Terminate';
          },
        );
      }
    }
    const workflowMetadata = (spec['workflowMetadata'] ?? {}) as Json;
    let workflowName = `${name}-${Math.floor(scheduledTime.getTime() / 1000)}`;
    if (this.ctx.cluster.get(this.ctx.workflows, namespace, workflowName))
      workflowName = `${workflowName}-${Date.now() % 100000}`;
    const workflow = this.ctx.cluster.create(this.ctx.workflows, namespace, {
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

  /** Updates the owning CronWorkflow's status and history when one of its workflows finishes. */
  childFinished(execution: Execution, phase: Phase): void {
    if (!this.ctx.cronWorkflows || !this.ctx.workflows) return;
    const owner = ((metadataOf(execution.workflow)['ownerReferences'] as Json[] | undefined) ?? []).find(
      (ref) => ref['kind'] === 'CronWorkflow',
    );
    if (!owner) return;
    const cronName = String(owner['name']);
    const cron = this.ctx.cluster.get(this.ctx.cronWorkflows, execution.namespace, cronName);
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
    const finished = this.ctx.cluster.store.list(this.ctx.workflows, {
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
          this.ctx.cluster.delete(this.ctx.workflows, execution.namespace, String(metadataOf(old)['name']));
        } catch (error) {
          if (!(error instanceof KubeApiError && error.code === 404))
            this.ctx.report(error, 'cron history cleanup');
        }
      }
    }
  }
}
