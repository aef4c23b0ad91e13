// Workflow execution: the template tree (steps, DAG tasks, retries) walked from the entrypoint, then the
// exit handler. Pods are run by pod-lifecycle.ts, retried attempts by retries.ts.
import { Interrupted } from './execution.ts';
import type { Execution, NodeStatus, Phase } from './execution.ts';
import type { ControllerContext } from './context.ts';
import { collectGarbage } from './garbage-collection.ts';
import { isJson } from './kube-json.ts';
import type { Json } from './kube-json.ts';
import { runPod } from './pod-lifecycle.ts';
import { runWithRetries } from './retries.ts';
import { validateWorkflowSpec } from './spec-validation.ts';
import { addNode, finishNode, setPhase, writeWorkflow } from './workflow-status.ts';

/**
 * Runs a workflow from Pending to its final phase, then its exit handler, garbage collection and
 * `finished` (the CronWorkflow bookkeeping).
 */
export async function executeWorkflow(
  ctx: ControllerContext,
  execution: Execution,
  finished: (execution: Execution, phase: Phase) => void,
): Promise<void> {
  await execution.sleep(ctx.options.pendingMs);
  if (execution.deleted) return;
  const problem = validateWorkflowSpec(execution.spec);
  if (problem) {
    setPhase(ctx, execution, 'Failed', `invalid spec: ${problem}`);
    return;
  }
  setPhase(ctx, execution, 'Running');
  const deadline = execution.spec['activeDeadlineSeconds'];
  if (typeof deadline === 'number') {
    const timer = setTimeout(() => {
      execution.deadlineExceeded = true;
      execution.wake();
    }, deadline * ctx.options.msPerSecond);
    execution.timers.add(timer);
  }
  const entrypoint = String(execution.spec['entrypoint']);
  let phase: Phase = 'Failed';
  let failureMessage: string | undefined;
  try {
    const root = await runTemplate(ctx, execution, entrypoint, execution.name, undefined, undefined);
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
      await runTemplate(ctx, execution, onExit, `${execution.name}.onExit`, undefined, undefined, {
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
  setPhase(ctx, execution, workflowStatus, message);
  execution.cancelTimers();
  collectGarbage(ctx, execution, workflowStatus);
  finished(execution, workflowStatus);
}

export function templateNamed(execution: Execution, name: string): Json {
  const templates = (execution.spec['templates'] as Json[] | undefined) ?? [];
  const found = templates.find((t) => t['name'] === name);
  if (!found) throw new Error(`template ${name} vanished`);
  return found;
}

export async function runTemplate(
  ctx: ControllerContext,
  execution: Execution,
  templateName: string,
  nodeName: string,
  parentId: string | undefined,
  boundaryId: string | undefined,
  context: { exitHandler?: boolean; workflowStatus?: string; displayName?: string } = {},
): Promise<NodeStatus> {
  await execution.whileSuspended();
  if (execution.interrupted) throw new Interrupted();
  const template = templateNamed(execution, templateName);
  const displayName =
    context.displayName ??
    (nodeName === execution.name ? execution.name : (nodeName.split('.').pop() ?? nodeName));
  if (template['container'] || template['script']) {
    const retryStrategy = (template['retryStrategy'] ?? execution.spec['retryStrategy']) as Json | undefined;
    if (retryStrategy) {
      return runWithRetries(
        ctx,
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
    return runPod(ctx, execution, template, nodeName, displayName, parentId, boundaryId, context);
  }
  if (Array.isArray(template['steps'])) {
    const node = addNode(
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
    writeWorkflow(ctx, execution, () => {});
    let previous = node.id;
    for (const [index, group] of (template['steps'] as Json[][]).entries()) {
      const groupNode = addNode(
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
          runTemplate(
            ctx,
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
      finishNode(
        groupNode,
        failed ? 'Failed' : 'Succeeded',
        failed ? `child '${failed.id}' failed` : undefined,
      );
      if (failed) return finishNode(node, 'Failed', `child '${failed.id}' failed`);
      previous = groupNode.id;
    }
    return finishNode(node, 'Succeeded');
  }
  if (isJson(template['dag'])) {
    const node = addNode(
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
          runTemplate(
            ctx,
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
      if (failed) return finishNode(node, 'Failed', `child '${failed.id}' failed`);
    }
    return finishNode(node, 'Succeeded');
  }
  const unsupported = addNode(
    execution,
    { name: nodeName, displayName, type: 'Pod', templateName, phase: 'Error' },
    parentId,
  );
  return finishNode(
    unsupported,
    'Error',
    `template type of ${templateName} is not supported by the simulated controller`,
  );
}
