// The pod objects the simulated controller creates for a template (named, labelled and owned as Argo v2
// does, with init/wait executor containers) and the statuses it writes on them.
import type { KubeObject } from '../resources.ts';
import {
  ANNOTATION_DEFAULT_CONTAINER,
  ANNOTATION_NODE_ID,
  ANNOTATION_NODE_NAME,
  ANNOTATION_POD_NAME_FORMAT,
  EXECUTOR_IMAGE,
  LABEL_COMPLETED,
  LABEL_ON_EXIT,
  LABEL_WORKFLOW,
} from './argo-labels.ts';
import type { Execution, NodeStatus } from './execution.ts';
import type { Json } from './kube-json.ts';
import { substitute } from './template-variables.ts';

export function buildPod(
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
  const main = substitute(
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
        [ANNOTATION_DEFAULT_CONTAINER]: 'main',
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

export function podStatus(phase: string, started: string, states: Record<'main' | 'wait', Json>): Json {
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
