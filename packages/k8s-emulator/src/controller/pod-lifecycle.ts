// A pod's life under the simulated controller: created, checked as a kubelet would (secrets), scheduled or
// stuck (scenarios), running with logs, terminated; plus the executor RBAC check and pod events.
import { argoPodName } from '../argo-names.ts';
import type { KubeObject } from '../resources.ts';
import { KubeApiError, forbidden } from '../status.ts';
import { LABEL_COMPLETED, NODE_NAME } from './argo-labels.ts';
import type { ControllerContext } from './context.ts';
import type { Execution, NodeStatus } from './execution.ts';
import { podCompleted } from './garbage-collection.ts';
import { archiveMainLog } from './log-archiving.ts';
import type { Json } from './kube-json.ts';
import { metadataOf, timestamp } from './kube-json.ts';
import { buildPod, podStatus } from './pod-objects.ts';
import { claimEviction, evictPod } from './pod-eviction.ts';
import { scenarioLogLines } from './scenarios.ts';
import { podVariables } from './template-variables.ts';
import { addNode, finishNode, writeWorkflow } from './workflow-status.ts';

/** What a kubelet would refuse before starting the container: a referenced Secret or key missing. */
export function missingSecret(
  ctx: ControllerContext,
  namespace: string,
  pod: KubeObject,
): { reason: string; message: string } | undefined {
  const secrets = ctx.cluster.resource('', 'secrets');
  const spec = pod['spec'] as Json;
  for (const container of (spec['containers'] as Json[]) ?? []) {
    for (const env of (container['env'] as Json[] | undefined) ?? []) {
      const ref = (env['valueFrom'] as Json | undefined)?.['secretKeyRef'] as Json | undefined;
      if (!ref || ref['optional'] === true) continue;
      const secret = ctx.cluster.get(secrets, namespace, String(ref['name']));
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
      if (ref && ref['optional'] !== true && !ctx.cluster.get(secrets, namespace, String(ref['name']))) {
        return {
          reason: 'CreateContainerConfigError',
          message: `secret "${String(ref['name'])}" not found`,
        };
      }
    }
  }
  for (const volume of (spec['volumes'] as Json[] | undefined) ?? []) {
    const ref = volume['secret'] as Json | undefined;
    if (ref && ref['optional'] !== true && !ctx.cluster.get(secrets, namespace, String(ref['secretName']))) {
      return {
        reason: 'ContainerCreating',
        message: `MountVolume.SetUp failed for volume "${String(volume['name'])}" : secret "${String(ref['secretName'])}" not found`,
      };
    }
  }
  return undefined;
}

export function recordEvent(
  ctx: ControllerContext,
  namespace: string,
  podName: string,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  try {
    const now = timestamp();
    ctx.cluster.create(ctx.events, namespace, {
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
    ctx.report(error, `recording event for pod ${namespace}/${podName}`);
  }
}

export function writePod(
  ctx: ControllerContext,
  namespace: string,
  name: string,
  change: (pod: KubeObject) => void,
): void {
  try {
    ctx.cluster.mutate(ctx.pods, namespace, name, change);
  } catch (error) {
    ctx.report(error, `updating pod ${namespace}/${name}`);
  }
}

export async function runPod(
  ctx: ControllerContext,
  execution: Execution,
  template: Json,
  nodeName: string,
  displayName: string,
  parentId: string | undefined,
  boundaryId: string | undefined,
  context: { exitHandler?: boolean; workflowStatus?: string },
): Promise<NodeStatus> {
  const templateName = String(template['name']);
  const node = addNode(
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
  const variables = podVariables(execution, podName, nodeName, context.workflowStatus);
  const podObject = buildPod(execution, template, podName, node, variables, context.exitHandler === true);
  const image = String(((podObject['spec'] as Json)['containers'] as Json[])[1]?.['image'] ?? '');
  const scenario = ctx.scenarios.scenarioFor(execution.workflow, image, templateName);
  const ns = execution.namespace;
  try {
    ctx.cluster.create(ctx.pods, ns, podObject);
  } catch (error) {
    const message = error instanceof KubeApiError ? error.message : String(error);
    finishNode(node, 'Error', message);
    writeWorkflow(ctx, execution, () => {});
    return node;
  }
  writeWorkflow(ctx, execution, () => {});
  const stuck = missingSecret(ctx, ns, podObject);
  const outcome = scenario.outcome ?? 'succeed';
  if (outcome === 'unschedulable') {
    const message =
      scenario.message ??
      '0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.';
    writePod(ctx, ns, podName, (pod) => {
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
    recordEvent(ctx, ns, podName, 'Warning', 'FailedScheduling', message);
    node.message = `Unschedulable: ${message}`;
    writeWorkflow(ctx, execution, () => {});
    return waitForInterruption(ctx, execution, node, podName);
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
      writePod(ctx, ns, podName, (pod) => {
        scheduled(pod);
        pod['status'] = podStatus('Pending', started, {
          main: { waiting: { reason, message: waiting.message } },
          wait: { running: { startedAt: started } },
        });
      });
    setWaiting(waiting.reason);
    recordEvent(
      ctx,
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
    writeWorkflow(ctx, execution, () => {});
    if (waiting.reason === 'ErrImagePull' && !scenario.reason) {
      // The kubelet backs off after a failed pull; the pod then reports ImagePullBackOff.
      await execution.sleep(ctx.options.pendingMs);
      if (!execution.interrupted) {
        setWaiting('ImagePullBackOff');
        node.message = `ImagePullBackOff: Back-off pulling image "${image}"`;
        writeWorkflow(ctx, execution, () => {});
      }
    }
    return waitForInterruption(ctx, execution, node, podName);
  }
  // Running.
  writePod(ctx, ns, podName, (pod) => {
    scheduled(pod);
    pod['status'] = podStatus('Running', started, {
      main: { running: { startedAt: started } },
      wait: { running: { startedAt: started } },
    });
  });
  node.phase = 'Running';
  node.hostNodeName = NODE_NAME;
  delete node.message;
  writeWorkflow(ctx, execution, () => {});
  const lines = scenarioLogLines(scenario, execution, templateName, context.exitHandler === true);
  const duration = scenario.durationMs ?? ctx.options.podRunMs;
  const stepMs = lines.length > 0 ? duration / lines.length : duration;
  // evictedOnce: the first attempt loses its node halfway through, after half its log lines.
  const evicted = outcome === 'evictedOnce' && claimEviction(execution, templateName);
  const written = evicted ? lines.slice(0, Math.ceil(lines.length / 2)) : lines;
  for (const line of written) {
    if (execution.interrupted) break;
    ctx.cluster.logs.append(ns, podName, 'main', line);
    await execution.sleep(stepMs);
  }
  if (lines.length === 0) await execution.sleep(evicted ? duration / 2 : duration);
  if (evicted && !execution.interrupted) return evictPod(ctx, execution, node, podName);
  ctx.cluster.logs.append(
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
  const executorDenied = executorRbacDenial(
    ctx,
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
  ctx.cluster.logs.finish(ns, podName, 'main');
  // The wait container uploads the main log (archiveLogs) before the pod completes.
  const archivedLog = await archiveMainLog(ctx, execution, podName, variables);
  ctx.cluster.logs.finish(ns, podName, 'wait');
  writePod(ctx, ns, podName, (pod) => {
    metadataOf(pod)['labels'] = {
      ...((metadataOf(pod)['labels'] as Json | undefined) ?? {}),
      [LABEL_COMPLETED]: 'true',
    };
    pod['status'] = podStatus(podPhase, started, {
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
  node.outputs = { exitCode: String(exitCode), ...(archivedLog ? { artifacts: [archivedLog] } : {}) };
  finishNode(node, executorDenied ? 'Error' : exitCode === 0 ? 'Succeeded' : 'Failed', message);
  writeWorkflow(ctx, execution, () => {});
  podCompleted(ctx, execution, podName, podPhase);
  return node;
}

/** The Forbidden message when the pod's service account may not write workflowtaskresults, if checked. */
export function executorRbacDenial(
  ctx: ControllerContext,
  execution: Execution,
  serviceAccount: string,
): string | undefined {
  if (!ctx.options.requireExecutorRbac) return undefined;
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
    if (!ctx.authorize(request)) {
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
export async function waitForInterruption(
  ctx: ControllerContext,
  execution: Execution,
  node: NodeStatus,
  podName: string,
): Promise<NodeStatus> {
  await execution.sleep(Number.POSITIVE_INFINITY);
  if (execution.deleted) return node;
  const message = execution.shutdown
    ? `workflow shutdown with strategy:  ${execution.shutdown}`
    : 'Step exceeded its deadline';
  writePod(ctx, execution.namespace, podName, (pod) => {
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
  finishNode(node, 'Failed', message);
  writeWorkflow(ctx, execution, () => {});
  podCompleted(ctx, execution, podName, 'Failed');
  return node;
}
