// Contract: the SimulatedArgoController (a stand-in, NOT Argo) driven through the real Kubernetes client.
// Proves the lifecycle our runner relies on (phases, v2 pod names and labels, status.nodes, onExit,
// shutdown Stop/Terminate, start failures, deadlines, TTL, podGC, cron firing) and that every status the
// controller writes passes the real Argo CRD schemas (v3.7.18 vendored, v4.1.2 from the shared fixtures).
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, KubernetesEmulator, SimulatedArgoController } from '@hybrid-runner/k8s-emulator';
import { argoPodName, createKubeconfig, fnv32a, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';

const NS = 'collate-ingestion';
const IMAGE =
  '118146679784.dkr.ecr.eu-west-1.amazonaws.com/collate-customers-ingestion-slim-eu-west-1:om-1.13.3-cl-1.13.3';
let clock = new Date('2026-01-10T00:30:00Z');
let emulator: KubernetesEmulator;
let controller: SimulatedArgoController;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const wfParams = { group: 'argoproj.io', version: 'v1alpha1', namespace: NS, plural: 'workflows' };
const cronParams = { ...wfParams, plural: 'cronworkflows' };
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function ingestionSpec(extra: Json = {}): Json {
  return {
    entrypoint: 'ingestion',
    onExit: 'exit-handler',
    serviceAccountName: 'ingestion',
    templates: [
      {
        name: 'ingestion',
        container: {
          image: IMAGE,
          command: ['python', 'main.py'],
          env: [{ name: 'config', valueFrom: { secretKeyRef: { name: 'pipeline-config', key: 'config' } } }],
        },
      },
      {
        name: 'exit-handler',
        container: {
          image: IMAGE,
          command: ['python', 'exit_handler.py'],
          env: [{ name: 'pipelineStatus', value: '{{workflow.status}}' }],
        },
      },
    ],
    ...extra,
  };
}

async function submit(
  name: string,
  spec: Json = ingestionSpec(),
  labels: Record<string, string> = {},
): Promise<Json> {
  return (await custom.createNamespacedCustomObject({
    ...wfParams,
    body: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name, labels: { app: 'ingestion', ...labels } },
      spec,
    },
  })) as Json;
}

async function podsOf(workflow: string): Promise<k8s.V1Pod[]> {
  return (
    await core.listNamespacedPod({
      namespace: NS,
      labelSelector: `workflows.argoproj.io/workflow=${workflow}`,
    })
  ).items;
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const status = (workflow: KubeObject | Json): Json => (workflow['status'] ?? {}) as Json;

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { runner: { username: 'runner' } } },
    namespaces: [NS],
    controller: { pendingMs: 5, podRunMs: 30, msPerSecond: 20, cronTickMs: 0, now: () => clock },
  });
  controller = emulator.controller as SimulatedArgoController;
  const kc = new k8s.KubeConfig();
  kc.loadFromString(createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: 'runner' }));
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'ingestion' } } });
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'pipeline-config' }, stringData: { config: 'source: {}' } },
  });
});

afterEach(() => {
  controller.clearScenarios();
  // Every status the controller wrote must have passed the CRD schema and admission.
  expect(controller.errors).toEqual([]);
});

afterAll(async () => {
  await emulator?.close();
});

describe('SimulatedArgoController (stand-in for Argo, contract with the real client)', () => {
  it('runs a workflow Pending → Running → Succeeded with Argo v2 pod names, labels, nodes and an exit handler', async () => {
    controller.setScenario(
      { workflowName: 'ok-run' },
      { outcome: 'succeed', logs: ['first line', 'second line'], templateName: 'ingestion' },
    );
    const phases = new Set<string>();
    const unsubscribe = emulator.cluster.store.subscribe((event) => {
      const phase = status(event.object)['phase'];
      if (
        event.definition.plural === 'workflows' &&
        (event.object.metadata as Json)['name'] === 'ok-run' &&
        typeof phase === 'string'
      )
        phases.add(phase);
    });
    await submit('ok-run');
    const done = await controller.waitForPhase(NS, 'ok-run');
    unsubscribe();
    expect(status(done)).toMatchObject({ phase: 'Succeeded', progress: '2/2' });
    expect(status(done)['startedAt']).toMatch(/Z$/);
    expect(status(done)['finishedAt']).toMatch(/Z$/);
    expect([...phases]).toEqual(['Pending', 'Running', 'Succeeded']);
    expect((done.metadata as Json)['labels']).toMatchObject({
      'workflows.argoproj.io/completed': 'true',
      'workflows.argoproj.io/phase': 'Succeeded',
    });

    const nodes = Object.values(status(done)['nodes'] as Record<string, Json>);
    expect(nodes.map((n) => [n['name'], n['type'], n['templateName'], n['phase']])).toEqual([
      ['ok-run', 'Pod', 'ingestion', 'Succeeded'],
      ['ok-run.onExit', 'Pod', 'exit-handler', 'Succeeded'],
    ]);
    const pods = await podsOf('ok-run');
    const exitPodName = `ok-run-exit-handler-${fnv32a('ok-run.onExit')}`;
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual(['ok-run', exitPodName]);
    expect(argoPodName('ok-run', 'ok-run.onExit', 'exit-handler')).toBe(exitPodName);
    const exitPod = pods.find((p) => p.metadata?.name === exitPodName) as k8s.V1Pod;
    expect(exitPod.metadata?.annotations?.['workflows.argoproj.io/pod-name-format']).toBe('v2');
    // Argo names the container kubectl logs/exec pick when none is given.
    expect(exitPod.metadata?.annotations?.['kubectl.kubernetes.io/default-container']).toBe('main');
    expect(exitPod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Workflow', name: 'ok-run' });
    expect(exitPod.spec?.containers.map((c) => c.name)).toEqual(['wait', 'main']);
    expect(exitPod.spec?.containers[1]?.env).toEqual([{ name: 'pipelineStatus', value: 'Succeeded' }]);
    expect(exitPod.status?.phase).toBe('Succeeded');
    expect(await core.readNamespacedPodLog({ namespace: NS, name: 'ok-run', container: 'main' })).toBe(
      'first line\nsecond line\n',
    );
  });

  it('fails with the scripted exit code and logs; the exit handler sees Failed', async () => {
    controller.setScenario(
      { labelSelector: 'case=exit-code' },
      { outcome: 'fail', exitCode: 3, logs: 'Traceback: boom\n', templateName: 'ingestion' },
    );
    await submit('failing-run', ingestionSpec(), { case: 'exit-code' });
    const done = await controller.waitForPhase(NS, 'failing-run');
    expect(status(done)).toMatchObject({ phase: 'Failed', message: 'Error (exit code 3)' });
    const main = (status(done)['nodes'] as Record<string, Json>)['failing-run'] as Json;
    expect(main).toMatchObject({ phase: 'Failed', outputs: { exitCode: '3' } });
    const pod = await core.readNamespacedPod({ namespace: NS, name: 'failing-run' });
    expect(pod.status?.containerStatuses?.find((c) => c.name === 'main')?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    const exitPod = (await podsOf('failing-run')).find(
      (p) => p.metadata?.labels?.['workflows.argoproj.io/on-exit'] === 'true',
    );
    expect(exitPod?.spec?.containers[1]?.env).toEqual([{ name: 'pipelineStatus', value: 'Failed' }]);
    expect(await core.readNamespacedPodLog({ namespace: NS, name: 'failing-run', container: 'main' })).toBe(
      'Traceback: boom\n',
    );
  });

  it('stops on spec.shutdown=Stop: the running pod is killed, the exit handler still runs', async () => {
    controller.setScenario(
      { workflowName: 'stopped-run' },
      { outcome: 'succeed', durationMs: 10_000, templateName: 'ingestion' },
    );
    await submit('stopped-run');
    await controller.waitForPhase(NS, 'stopped-run', ['Running']);
    await until(
      async () => ((await podsOf('stopped-run'))[0]?.status?.phase === 'Running' ? true : undefined),
      'the pod to run',
    );
    await custom.patchNamespacedCustomObject(
      { ...wfParams, name: 'stopped-run', body: { spec: { shutdown: 'Stop' } } },
      mergePatch,
    );
    const done = await controller.waitForPhase(NS, 'stopped-run');
    expect(status(done)).toMatchObject({ phase: 'Failed', message: "Stopped with strategy 'Stop'" });
    const nodes = status(done)['nodes'] as Record<string, Json>;
    expect(nodes['stopped-run']).toMatchObject({
      phase: 'Failed',
      message: 'workflow shutdown with strategy:  Stop',
    });
    expect(Object.values(nodes).find((n) => n['name'] === 'stopped-run.onExit')).toMatchObject({
      phase: 'Succeeded',
    });
  });

  it('terminates on spec.shutdown=Terminate without running the exit handler', async () => {
    controller.setScenario({ workflowName: 'terminated-run' }, { durationMs: 10_000 });
    await submit('terminated-run');
    await controller.waitForPhase(NS, 'terminated-run', ['Running']);
    await custom.patchNamespacedCustomObject(
      { ...wfParams, name: 'terminated-run', body: { spec: { shutdown: 'Terminate' } } },
      mergePatch,
    );
    const done = await controller.waitForPhase(NS, 'terminated-run');
    expect(status(done)).toMatchObject({ phase: 'Failed', message: "Stopped with strategy 'Terminate'" });
    expect(Object.values(status(done)['nodes'] as Record<string, Json>).map((n) => n['name'])).toEqual([
      'terminated-run',
    ]);
    expect(await podsOf('terminated-run')).toHaveLength(1);
  });

  it('leaves a pod whose image cannot be pulled Pending (ErrImagePull, then ImagePullBackOff) and the run Running', async () => {
    controller.setScenario(
      { image: '118146679784.dkr.ecr.eu-west-1.amazonaws.com/*' },
      { outcome: 'imagePullError' },
    );
    await submit('pull-fails');
    const pod = await until(async () => {
      const found = await core
        .readNamespacedPod({ namespace: NS, name: 'pull-fails' })
        .catch(() => undefined);
      const waiting = found?.status?.containerStatuses?.find((c) => c.name === 'main')?.state?.waiting;
      return waiting?.reason === 'ImagePullBackOff' ? found : undefined;
    }, 'ImagePullBackOff');
    expect(pod.status?.phase).toBe('Pending');
    const workflow = (await custom.getNamespacedCustomObject({ ...wfParams, name: 'pull-fails' })) as Json;
    expect(status(workflow)['phase']).toBe('Running');
    expect((status(workflow)['nodes'] as Record<string, Json>)['pull-fails']).toMatchObject({
      phase: 'Pending',
      message: expect.stringContaining('ImagePullBackOff'),
    });
    await expect(
      core.readNamespacedPodLog({ namespace: NS, name: 'pull-fails', container: 'main' }),
    ).rejects.toMatchObject({ code: 400 });
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=pull-fails',
    });
    expect(events.items.map((e) => e.reason)).toContain('Failed');
    await custom.patchNamespacedCustomObject(
      { ...wfParams, name: 'pull-fails', body: { spec: { shutdown: 'Terminate' } } },
      mergePatch,
    );
    expect(status(await controller.waitForPhase(NS, 'pull-fails'))['phase']).toBe('Failed');
  });

  it('reports an unschedulable pod with PodScheduled=False/Unschedulable and no host for logs', async () => {
    controller.setScenario(
      { workflowName: 'no-room' },
      {
        outcome: 'unschedulable',
        message: '0/2 nodes are available: 2 Insufficient memory.',
        templateName: 'ingestion',
      },
    );
    await submit('no-room', ingestionSpec({ activeDeadlineSeconds: 5 }));
    const pod = await until(async () => {
      const found = await core.readNamespacedPod({ namespace: NS, name: 'no-room' }).catch(() => undefined);
      return found?.status?.conditions?.length ? found : undefined;
    }, 'the scheduling condition');
    expect(pod.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/2 nodes are available: 2 Insufficient memory.',
      }),
    ]);
    await expect(
      core.readNamespacedPodLog({ namespace: NS, name: 'no-room', container: 'main' }),
    ).rejects.toMatchObject({ code: 400 });
    // activeDeadlineSeconds (5 × 20 ms here) ends the run.
    const done = await controller.waitForPhase(NS, 'no-room');
    expect(status(done)).toMatchObject({ phase: 'Failed', message: 'Step exceeded its deadline' });
  });

  it('leaves a pod whose config Secret is missing in CreateContainerConfigError, as a kubelet does', async () => {
    const spec = ingestionSpec({ activeDeadlineSeconds: 3 });
    spec['templates'][0].container.env[0].valueFrom.secretKeyRef.name = 'not-created';
    await submit('missing-secret', spec);
    const waiting = await until(async () => {
      const found = await core
        .readNamespacedPod({ namespace: NS, name: 'missing-secret' })
        .catch(() => undefined);
      return found?.status?.containerStatuses?.find((c) => c.name === 'main')?.state?.waiting;
    }, 'the waiting state');
    expect(waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'secret "not-created" not found',
    });
    await controller.waitForPhase(NS, 'missing-secret');
  });

  it('fails the node with the admission error when the service account does not exist', async () => {
    await submit('no-sa', ingestionSpec({ serviceAccountName: 'missing-sa', onExit: undefined }));
    const done = await controller.waitForPhase(NS, 'no-sa');
    expect(status(done)['phase']).toBe('Error');
    expect((status(done)['nodes'] as Record<string, Json>)['no-sa']?.['message']).toContain(
      'serviceaccount "missing-sa" not found',
    );
  });

  it('fails a workflow whose spec Argo would refuse, with "invalid spec"', async () => {
    await submit('bad-entry', ingestionSpec({ entrypoint: 'nope' }));
    expect(status(await controller.waitForPhase(NS, 'bad-entry'))).toMatchObject({
      phase: 'Failed',
      message: 'invalid spec: spec.entrypoint template nope not found',
    });
    await submit(
      'bad-var',
      ingestionSpec({
        templates: [
          { name: 'ingestion', container: { image: IMAGE, args: ['{{workflow.parameters.missing}}'] } },
        ],
        onExit: undefined,
      }),
    );
    expect(status(await controller.waitForPhase(NS, 'bad-var'))['message']).toContain(
      'failed to resolve {{workflow.parameters.missing}}',
    );
    // Argo expressions ({{=…}}) and known globals are accepted.
    await submit(
      'expr-var',
      ingestionSpec({
        templates: [
          {
            name: 'ingestion',
            container: { image: IMAGE, args: ['{{=workflow.name}}', '{{workflow.uid}}'] },
          },
        ],
        onExit: undefined,
      }),
    );
    expect(status(await controller.waitForPhase(NS, 'expr-var'))['phase']).toBe('Succeeded');
  });

  it('runs steps and DAG templates, with node ids and pod names derived from node names', async () => {
    const spec = {
      entrypoint: 'pipeline',
      serviceAccountName: 'ingestion',
      templates: [
        {
          name: 'pipeline',
          steps: [[{ name: 'extract', template: 'work' }], [{ name: 'load', template: 'graph' }]],
        },
        {
          name: 'graph',
          dag: {
            tasks: [
              { name: 'a', template: 'work' },
              { name: 'b', template: 'work', dependencies: ['a'] },
            ],
          },
        },
        { name: 'work', container: { image: 'busybox', command: ['true'] } },
      ],
    };
    await submit('steps-run', spec);
    const done = await controller.waitForPhase(NS, 'steps-run');
    expect(status(done)['phase']).toBe('Succeeded');
    const names = Object.values(status(done)['nodes'] as Record<string, Json>).map(
      (n) => `${n['type']} ${n['name']}`,
    );
    expect(names).toEqual([
      'Steps steps-run',
      'StepGroup steps-run[0]',
      'Pod steps-run[0].extract',
      'StepGroup steps-run[1]',
      'DAG steps-run[1].load',
      'Pod steps-run[1].load.a',
      'Pod steps-run[1].load.b',
    ]);
    expect((await podsOf('steps-run')).map((p) => p.metadata?.name).sort()).toEqual(
      ['steps-run[0].extract', 'steps-run[1].load.a', 'steps-run[1].load.b']
        .map((node) => argoPodName('steps-run', node, 'work'))
        .sort(),
    );
  });

  it('holds a suspended workflow until it is resumed', async () => {
    await submit('held', ingestionSpec({ suspend: true, onExit: undefined }));
    await controller.waitForPhase(NS, 'held', ['Running']);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await podsOf('held')).toHaveLength(0);
    await custom.patchNamespacedCustomObject(
      { ...wfParams, name: 'held', body: { spec: { suspend: null } } },
      mergePatch,
    );
    expect(status(await controller.waitForPhase(NS, 'held'))['phase']).toBe('Succeeded');
  });

  it('applies podGC OnPodCompletion and deletes finished workflows (and their pods) after ttlStrategy', async () => {
    await submit('gc-pods', ingestionSpec({ podGC: { strategy: 'OnPodCompletion' } }));
    await controller.waitForPhase(NS, 'gc-pods');
    expect(
      await until(async () => ((await podsOf('gc-pods')).length === 0 ? true : undefined), 'podGC'),
    ).toBe(true);

    await submit('ttl-run', ingestionSpec({ ttlStrategy: { secondsAfterCompletion: 2 } }));
    await controller.waitForPhase(NS, 'ttl-run');
    expect(await podsOf('ttl-run')).toHaveLength(2);
    await until(async () => {
      const gone = await custom
        .getNamespacedCustomObject({ ...wfParams, name: 'ttl-run' })
        .catch((error: unknown) => ((error as { code?: number }).code === 404 ? 'gone' : undefined));
      return gone === 'gone' ? true : undefined;
    }, 'TTL deletion');
    expect(
      await until(
        async () => ((await podsOf('ttl-run')).length === 0 ? true : undefined),
        'pods garbage-collected',
      ),
    ).toBe(true);
  });

  it('fires CronWorkflows by their schedules in their time zone, respects suspend, and can be triggered by hand', async () => {
    clock = new Date('2026-01-10T00:30:00Z');
    await custom.createNamespacedCustomObject({
      ...cronParams,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'CronWorkflow',
        metadata: { name: 'nightly' },
        spec: {
          schedules: ['0 2 * * *'],
          timezone: 'Europe/Madrid',
          concurrencyPolicy: 'Forbid',
          workflowMetadata: { labels: { pipeline: 'nightly' } },
          workflowSpec: ingestionSpec(),
        },
      },
    });
    expect(controller.checkCrons(new Date('2026-01-10T00:59:00Z'))).toEqual([]);
    const [fired] = controller.checkCrons(new Date('2026-01-10T01:00:30Z')); // 02:00 in Madrid
    const expectedName = `nightly-${Date.parse('2026-01-10T01:00:00Z') / 1000}`;
    expect((fired?.metadata as Json)['name']).toBe(expectedName);
    const workflow = (await custom.getNamespacedCustomObject({ ...wfParams, name: expectedName })) as Json;
    expect(workflow['metadata']['labels']).toMatchObject({
      pipeline: 'nightly',
      'workflows.argoproj.io/cron-workflow': 'nightly',
    });
    expect(workflow['metadata']['ownerReferences'][0]).toMatchObject({
      kind: 'CronWorkflow',
      name: 'nightly',
    });
    await controller.waitForPhase(NS, expectedName);
    const cron = (await custom.getNamespacedCustomObject({ ...cronParams, name: 'nightly' })) as Json;
    expect(cron['status']).toMatchObject({ lastScheduledTime: '2026-01-10T01:00:00Z', succeeded: 1 });

    await custom.patchNamespacedCustomObject(
      { ...cronParams, name: 'nightly', body: { spec: { suspend: true } } },
      mergePatch,
    );
    expect(controller.checkCrons(new Date('2026-01-11T01:00:30Z'))).toEqual([]);

    clock = new Date('2026-01-11T09:00:00Z');
    const manual = controller.triggerCron(NS, 'nightly');
    expect((manual.metadata as Json)['name']).toBe(`nightly-${Date.parse('2026-01-11T09:00:00Z') / 1000}`);
    await controller.waitForPhase(NS, String((manual.metadata as Json)['name']));
  });

  it('marks a CronWorkflow with a schedule Argo cannot parse with a SpecError condition', async () => {
    await custom.createNamespacedCustomObject({
      ...cronParams,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'CronWorkflow',
        metadata: { name: 'broken' },
        spec: { schedules: ['0 0 2 * * *'], workflowSpec: ingestionSpec() },
      },
    });
    const cron = (await custom.getNamespacedCustomObject({ ...cronParams, name: 'broken' })) as Json;
    expect(cron['status']['conditions'][0]).toMatchObject({
      type: 'SpecError',
      status: 'True',
      message: expect.stringContaining('expected exactly 5 fields'),
    });
    expect(
      controller
        .checkCrons(new Date('2026-02-01T00:00:00Z'))
        .filter((w) => (w.metadata as Json)['name'].startsWith('broken')),
    ).toEqual([]);
  });
});

describe('the emulator with the Argo v4.1.2 CRDs from the shared fixtures', () => {
  const fixtures = join(import.meta.dirname, '../../../../shared/fixtures/argo/v4.1.2');
  let v4: KubernetesEmulator;

  beforeAll(async () => {
    v4 = await startKubernetesEmulator({
      auth: { mode: 'static', tokens: { t: { username: 'u' } } },
      namespaces: [NS],
      crdFiles: [
        join(fixtures, 'argoproj.io_workflows.yaml'),
        join(fixtures, 'argoproj.io_cronworkflows.yaml'),
      ],
      controller: { pendingMs: 5, podRunMs: 20, cronTickMs: 0 },
    });
    v4.cluster.create(v4.cluster.resource('', 'serviceaccounts'), NS, { metadata: { name: 'ingestion' } });
    v4.cluster.create(v4.cluster.resource('', 'secrets'), NS, {
      metadata: { name: 'pipeline-config' },
      stringData: { config: 'x' },
    });
  });

  afterAll(async () => {
    await v4?.close();
  });

  it('runs a workflow whose status passes the v4 schema, and refuses the removed singular `schedule`', async () => {
    const workflows = v4.cluster.resource('argoproj.io', 'workflows');
    v4.cluster.create(workflows, NS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'v4-run' },
      spec: ingestionSpec(),
    });
    const done = await (v4.controller as SimulatedArgoController).waitForPhase(NS, 'v4-run');
    expect(status(done)['phase']).toBe('Succeeded');
    expect((v4.controller as SimulatedArgoController).errors).toEqual([]);
    const crons = v4.cluster.resource('argoproj.io', 'cronworkflows');
    expect(() =>
      v4.cluster.create(crons, NS, {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'CronWorkflow',
        metadata: { name: 'old-style' },
        spec: { schedule: '0 * * * *', workflowSpec: ingestionSpec() },
      }),
    ).toThrow(expect.objectContaining({ code: 422 }));
    v4.cluster.create(crons, NS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: 'new-style' },
      spec: { schedules: ['0 * * * *'], workflowSpec: ingestionSpec() },
    });
  });
});

describe('executor RBAC check of the SimulatedArgoController (requireExecutorRbac; not Argo)', () => {
  let strict: KubernetesEmulator;

  beforeAll(async () => {
    strict = await startKubernetesEmulator({
      auth: { mode: 'static', tokens: { t: { username: 'u' } } },
      namespaces: [NS],
      rbac: [
        { users: ['u'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        {
          users: [`system:serviceaccount:${NS}:ingestion`],
          verbs: ['create', 'patch'],
          apiGroups: ['argoproj.io'],
          resources: ['workflowtaskresults'],
          namespaces: [NS],
        },
      ],
      controller: { pendingMs: 5, podRunMs: 10, cronTickMs: 0, requireExecutorRbac: true },
    });
    strict.cluster.create(strict.cluster.resource('', 'serviceaccounts'), NS, {
      metadata: { name: 'ingestion' },
    });
    strict.cluster.create(strict.cluster.resource('', 'secrets'), NS, {
      metadata: { name: 'pipeline-config' },
      stringData: { config: 'x' },
    });
  });

  afterAll(async () => {
    await strict?.close();
  });

  it('fails the node with the Forbidden message when the service account may not write workflowtaskresults', async () => {
    const workflows = strict.cluster.resource('argoproj.io', 'workflows');
    const strictController = strict.controller as SimulatedArgoController;
    strict.cluster.create(workflows, NS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'granted' },
      spec: ingestionSpec({ onExit: undefined }),
    });
    strict.cluster.create(workflows, NS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'not-granted' },
      spec: ingestionSpec({ onExit: undefined, serviceAccountName: 'default' }),
    });
    expect(status(await strictController.waitForPhase(NS, 'granted'))['phase']).toBe('Succeeded');
    const denied = await strictController.waitForPhase(NS, 'not-granted');
    expect(status(denied)['phase']).toBe('Error');
    expect((status(denied)['nodes'] as Record<string, Json>)['not-granted']?.['message']).toBe(
      `Error (exit code 64): workflowtaskresults.argoproj.io is forbidden: User "system:serviceaccount:${NS}:default" cannot create resource "workflowtaskresults" in API group "argoproj.io" in the namespace "${NS}"`,
    );
    expect(strict.audit.permissionsUsed(`system:serviceaccount:${NS}:ingestion`)).toEqual([
      { verb: 'create', apiGroup: 'argoproj.io', resource: 'workflowtaskresults', namespace: NS },
      { verb: 'patch', apiGroup: 'argoproj.io', resource: 'workflowtaskresults', namespace: NS },
    ]);
    expect(strictController.errors).toEqual([]);
  });
});

describe('SimulatedArgoController retries and cron concurrency (not Argo)', () => {
  let emu: KubernetesEmulator;
  let ctl: SimulatedArgoController;
  const now = new Date('2026-02-01T00:00:30Z');

  beforeAll(async () => {
    emu = await startKubernetesEmulator({
      auth: { mode: 'static', tokens: { t: { username: 'u' } } },
      namespaces: [NS],
      controller: { pendingMs: 5, podRunMs: 10, cronTickMs: 0, now: () => now },
    });
    ctl = emu.controller as SimulatedArgoController;
    emu.cluster.create(emu.cluster.resource('', 'serviceaccounts'), NS, { metadata: { name: 'ingestion' } });
    emu.cluster.create(emu.cluster.resource('', 'secrets'), NS, {
      metadata: { name: 'pipeline-config' },
      stringData: { config: 'x' },
    });
  });

  afterAll(async () => {
    await emu?.close();
  });

  afterEach(() => {
    ctl.clearScenarios();
    expect(ctl.errors).toEqual([]);
  });

  it('retries a failing pod per retryStrategy with Argo attempt names, then fails', async () => {
    const workflows = emu.cluster.resource('argoproj.io', 'workflows');
    ctl.setScenario({ workflowName: 'retried' }, { outcome: 'fail', exitCode: 2, templateName: 'ingestion' });
    const spec = ingestionSpec({ onExit: undefined });
    spec['templates'][0].retryStrategy = { limit: 2, retryPolicy: 'OnFailure' };
    emu.cluster.create(workflows, NS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'retried' },
      spec,
    });
    const done = await ctl.waitForPhase(NS, 'retried');
    expect(status(done)).toMatchObject({ phase: 'Failed', message: 'Error (exit code 2)' });
    const nodes = Object.values(status(done)['nodes'] as Record<string, Json>);
    expect(nodes.map((n) => `${n['type']} ${n['name']} ${n['phase']}`)).toEqual([
      'Retry retried Failed',
      'Pod retried(0) Failed',
      'Pod retried(1) Failed',
      'Pod retried(2) Failed',
    ]);
    const pods = emu.cluster.store.list(emu.cluster.resource('', 'pods'), {
      namespace: NS,
      labels: [{ key: 'workflows.argoproj.io/workflow', operator: 'equals', value: 'retried' }],
    });
    expect(pods.items.map((p) => (p.metadata as Json)['name']).sort()).toEqual(
      [0, 1, 2].map((i) => argoPodName('retried', `retried(${i})`, 'ingestion')).sort(),
    );
  });

  it('skips a schedule missed by more than startingDeadlineSeconds', () => {
    const crons = emu.cluster.resource('argoproj.io', 'cronworkflows');
    emu.cluster.create(crons, NS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: 'late' },
      spec: {
        schedules: ['0 * * * *'],
        startingDeadlineSeconds: 10,
        suspend: false,
        workflowSpec: ingestionSpec({ onExit: undefined }),
      },
    });
    // Due at 01:00:00; checked 30 s later, beyond the 10 s deadline.
    expect(
      ctl
        .checkCrons(new Date('2026-02-01T01:00:30Z'))
        .filter((w) => String((w.metadata as Json)['name']).startsWith('late-')),
    ).toEqual([]);
    emu.cluster.delete(crons, NS, 'late');
  });

  it('skips a schedule while a run is active under concurrencyPolicy Forbid, and terminates it under Replace', async () => {
    const crons = emu.cluster.resource('argoproj.io', 'cronworkflows');
    ctl.setScenario({ labelSelector: 'workflows.argoproj.io/cron-workflow' }, { durationMs: 60_000 });
    for (const [name, policy] of [
      ['forbid', 'Forbid'],
      ['replace', 'Replace'],
    ] as const) {
      emu.cluster.create(crons, NS, {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'CronWorkflow',
        metadata: { name },
        spec: {
          schedules: ['* * * * *'],
          concurrencyPolicy: policy,
          workflowSpec: ingestionSpec({ onExit: undefined }),
        },
      });
    }
    const first = ctl.checkCrons(new Date('2026-02-01T00:01:10Z'));
    expect(first).toHaveLength(2);
    for (const workflow of first)
      await ctl.waitForPhase(NS, String((workflow.metadata as Json)['name']), ['Running']);
    const second = ctl.checkCrons(new Date('2026-02-01T00:02:10Z'));
    expect(second.map((w) => (w.metadata as Json)['labels']['workflows.argoproj.io/cron-workflow'])).toEqual([
      'replace',
    ]);
    const replaced = first.find((w) => (w.metadata as Json)['name'].startsWith('replace-')) as KubeObject;
    const terminated = await ctl.waitForPhase(NS, String((replaced.metadata as Json)['name']));
    expect(status(terminated)['message']).toBe("Stopped with strategy 'Terminate'");
    for (const workflow of [...first, ...second]) {
      const name = String((workflow.metadata as Json)['name']);
      emu.cluster.mutate(emu.cluster.resource('argoproj.io', 'workflows'), NS, name, (w) => {
        (w['spec'] as Json)['shutdown'] = 'Terminate';
      });
      await ctl.waitForPhase(NS, name);
    }
  });
});
