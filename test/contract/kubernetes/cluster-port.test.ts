// Every ClusterPort method of the adapter, over HTTPS with the real @kubernetes/client-node auth/TLS path,
// against the Kubernetes emulator (Argo CRDs validated from the real schemas). It proves the REST shapes,
// error mapping and retries; it cannot prove a real API server's every behaviour or a real Argo controller.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ClusterUnavailableError,
  ConflictError,
  ForbiddenError,
  InvalidObjectError,
  NotFoundError,
  RESOURCES,
} from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster, retryOnConflict } from '@hybrid-runner/kubernetes';

const NAMESPACE = 'collate-ingestion';
const TOKEN = 'runner-static-token';

let emulator: KubernetesEmulator;
let cluster: KubernetesCluster;
let sleeps: number[];

async function connect(retry: { maxAttempts?: number; timeoutMs?: number } = {}) {
  return KubernetesCluster.connect(
    {
      mode: 'kubeconfig',
      text: createKubeconfig({
        server: emulator.url,
        caCert: emulator.caCert,
        token: TOKEN,
        namespace: NAMESPACE,
      }),
    },
    {
      retry: { maxAttempts: 4, timeoutMs: 2_000, ...retry },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  );
}

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { [TOKEN]: { username: 'runner', groups: ['hybrid-runner'] } } },
    controller: false,
    namespaces: [NAMESPACE],
  });
  sleeps = [];
  cluster = await connect();
});
afterAll(async () => {
  await cluster?.close();
  await emulator?.close();
});
beforeEach(() => {
  sleeps = [];
  emulator.faults.clear();
});

const secret = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NAMESPACE, labels },
  stringData: { value: 'not-a-real-secret' },
});

const workflow = (name: string, extraSpec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, namespace: NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'contract-test' } },
  spec: {
    entrypoint: 'main',
    templates: [{ name: 'main', container: { image: 'busybox:1.36', command: ['true'] } }],
    ...extraSpec,
  },
});

describe('ClusterPort over HTTPS against the Kubernetes emulator (not a real API server)', () => {
  it('creates, reads, replaces, merge-patches and deletes a Secret', async () => {
    const created = await cluster.create(RESOURCES.secret, NAMESPACE, secret('crud'));
    expect(created.metadata.uid).toBeTruthy();
    const read = await cluster.get<KubeObject>(RESOURCES.secret, NAMESPACE, 'crud');
    expect(read?.data).toEqual({ value: Buffer.from('not-a-real-secret').toString('base64') });
    const replaced = await cluster.replace(RESOURCES.secret, NAMESPACE, {
      ...read!,
      metadata: { ...read!.metadata, labels: { replaced: 'yes' } },
    });
    expect(replaced.metadata.labels).toEqual({ replaced: 'yes' });
    const patched = await cluster.mergePatch(RESOURCES.secret, NAMESPACE, 'crud', {
      metadata: { labels: { patched: 'yes', replaced: null } },
    });
    expect(patched.metadata.labels).toEqual({ patched: 'yes' });
    expect(await cluster.delete(RESOURCES.secret, NAMESPACE, 'crud')).toBe(true);
    expect(await cluster.get(RESOURCES.secret, NAMESPACE, 'crud')).toBeUndefined();
    expect(await cluster.delete(RESOURCES.secret, NAMESPACE, 'crud')).toBe(false);
  });

  it('reads Secret metadata without its data', async () => {
    await cluster.create(RESOURCES.secret, NAMESPACE, secret('metadata-only'));
    const metadata = await cluster.getMetadata(RESOURCES.secret, NAMESPACE, 'metadata-only');
    expect(metadata?.name).toBe('metadata-only');
    expect(await cluster.getMetadata(RESOURCES.secret, NAMESPACE, 'absent')).toBeUndefined();
  });

  it('lists by label selector page by page with limit and continue', async () => {
    for (let i = 0; i < 7; i++) {
      await cluster.create(
        RESOURCES.secret,
        NAMESPACE,
        secret(`page-${i}`, { set: 'paging', odd: String(i % 2) }),
      );
    }
    await cluster.create(RESOURCES.secret, NAMESPACE, secret('other', { set: 'other' }));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await cluster.list(RESOURCES.secret, NAMESPACE, {
        labelSelector: 'set=paging',
        limit: 3,
        ...(token ? { continue: token } : {}),
      });
      pages++;
      names.push(...page.items.map((item) => item.metadata.name ?? ''));
      expect(page.items.every((item) => item.kind === 'Secret' && item.apiVersion === 'v1')).toBe(true);
      token = page.continue;
    } while (token);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    const odd = await cluster.list(RESOURCES.secret, NAMESPACE, { labelSelector: 'set=paging,odd in (1)' });
    expect(odd.items).toHaveLength(3);
  });

  it('creates Argo Workflows the real CRD schema accepts, and reports what it rejects as invalid', async () => {
    const created = await cluster.create(RESOURCES.workflow, NAMESPACE, workflow('valid-run'));
    expect(created.kind).toBe('Workflow');
    const error = await cluster
      .create(RESOURCES.workflow, NAMESPACE, workflow('invalid-run', { notAnArgoField: true }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidObjectError);
    expect((error as Error).message).toContain('notAnArgoField');
    await expect(cluster.create(RESOURCES.workflow, NAMESPACE, workflow('valid-run'))).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('maps 409 on a stale update to ConflictError; retryOnConflict re-reads and applies', async () => {
    await cluster.create(RESOURCES.cronWorkflow, NAMESPACE, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: 'nightly', namespace: NAMESPACE },
      spec: { schedules: ['0 2 * * *'], workflowSpec: workflow('x').spec },
    });
    const first = await cluster.get<KubeObject>(RESOURCES.cronWorkflow, NAMESPACE, 'nightly');
    await cluster.mergePatch(RESOURCES.cronWorkflow, NAMESPACE, 'nightly', { spec: { suspend: true } });
    await expect(
      cluster.replace(RESOURCES.cronWorkflow, NAMESPACE, {
        ...first!,
        spec: { ...(first!.spec as object), timezone: 'UTC' },
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    const updated = await retryOnConflict(async () => {
      const current = await cluster.get<KubeObject>(RESOURCES.cronWorkflow, NAMESPACE, 'nightly');
      return cluster.replace(RESOURCES.cronWorkflow, NAMESPACE, {
        ...current!,
        spec: { ...(current!.spec as object), timezone: 'UTC' },
      });
    });
    expect(updated.spec).toMatchObject({ suspend: true, timezone: 'UTC' });
  });

  it('streams pod logs of container main with limitBytes', async () => {
    const pods = emulator.cluster.resource('', 'pods');
    const serviceAccounts = emulator.cluster.resource('', 'serviceaccounts');
    if (!emulator.cluster.get(serviceAccounts, NAMESPACE, 'default')) {
      emulator.cluster.create(serviceAccounts, NAMESPACE, {
        metadata: { name: 'default', namespace: NAMESPACE },
      });
    }
    emulator.cluster.create(pods, NAMESPACE, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'run-pod', namespace: NAMESPACE },
      spec: {
        nodeName: 'node-1',
        containers: [
          { name: 'main', image: 'busybox' },
          { name: 'wait', image: 'argoexec' },
        ],
      },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'main', state: { running: {} } },
          { name: 'wait', state: { running: {} } },
        ],
      },
    });
    emulator.cluster.logs.append(NAMESPACE, 'run-pod', 'main', 'line one\nline two\n');
    emulator.cluster.logs.append(NAMESPACE, 'run-pod', 'wait', 'not this container\n');
    const read = async (limitBytes?: number) => {
      let text = '';
      for await (const chunk of cluster.podLogs(NAMESPACE, 'run-pod', {
        container: 'main',
        ...(limitBytes ? { limitBytes } : {}),
      })) {
        text += Buffer.from(chunk).toString('utf8');
      }
      return text;
    };
    expect(await read()).toBe('line one\nline two\n');
    expect(await read(8)).toBe('line one');
    await expect(read()).resolves.not.toContain('not this container');
    // A container that has not started answers 400 on the wire; the port reports it as not found yet.
    emulator.cluster.mutate(pods, NAMESPACE, 'run-pod', (pod) => {
      (pod['status'] as { containerStatuses: unknown[] }).containerStatuses = [
        { name: 'main', state: { waiting: { reason: 'ImagePullBackOff' } } },
      ];
    });
    await expect(read()).rejects.toThrow(/waiting to start: image can't be pulled/);
    const missing = cluster.podLogs(NAMESPACE, 'no-such-pod', { container: 'main' });
    await expect(
      (async () => {
        for await (const _chunk of missing) {
          // drain
        }
      })(),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads the server version and discovers the Argo resources', async () => {
    expect((await cluster.serverVersion()).gitVersion).toMatch(/^v1\.\d+/);
    expect(await cluster.hasResource('argoproj.io', 'v1alpha1', 'workflows')).toBe(true);
    expect(await cluster.hasResource('argoproj.io', 'v1alpha1', 'cronworkflows')).toBe(true);
    expect(await cluster.hasResource('argoproj.io', 'v1alpha1', 'workflowtemplates-not-served')).toBe(false);
    expect(await cluster.hasResource('', 'v1', 'secrets')).toBe(true);
    expect(await cluster.hasResource('nope.example.com', 'v1', 'things')).toBe(false);
  });
});

describe('ClusterPort faults against the emulator (injected, not a real overloaded control plane)', () => {
  it('rides out a 429 storm, waiting exactly as long as Retry-After says', async () => {
    emulator.faults.inject({ kind: 'status', status: 429, retryAfterSeconds: 2, times: 3, method: 'GET' });
    expect((await cluster.list(RESOURCES.secret, NAMESPACE)).items.length).toBeGreaterThan(0);
    expect(sleeps).toEqual([2000, 2000, 2000]);
  });

  it('repeats a create rejected with 429 (it was never processed)', async () => {
    emulator.faults.inject({ kind: 'status', status: 429, retryAfterSeconds: 1, times: 2, method: 'POST' });
    const created = await cluster.create<KubeObject>(RESOURCES.secret, NAMESPACE, {
      ...secret(''),
      metadata: { generateName: 'throttled-' },
    });
    expect(created.metadata.name).toMatch(/^throttled-/);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('recovers from 500s and 503s on reads, and gives a clear error when they persist', async () => {
    emulator.faults.inject({ kind: 'status', status: 500, times: 2, method: 'GET' });
    emulator.faults.inject({ kind: 'status', status: 503, times: 1, method: 'GET' });
    expect((await cluster.serverVersion()).gitVersion).toBeTruthy();
    expect(sleeps).toHaveLength(3);
    emulator.faults.inject({ kind: 'status', status: 500, method: 'GET' });
    const error = await cluster.get(RESOURCES.secret, NAMESPACE, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/failed with 500.*retry later/);
  });

  it('repeats reads after connection resets and hangs (per-call timeout)', async () => {
    const impatient = await connect({ timeoutMs: 300 });
    emulator.faults.inject({ kind: 'reset', times: 1, method: 'GET' });
    emulator.faults.inject({ kind: 'hang', times: 1, method: 'GET' });
    expect((await impatient.serverVersion()).gitVersion).toBeTruthy();
    await impatient.close();
  });

  it('says what to check when the API server cannot be reached', async () => {
    const stopped = await startKubernetesEmulator({
      auth: { mode: 'static', tokens: { [TOKEN]: { username: 'runner' } } },
      controller: false,
    });
    const kubeconfig = createKubeconfig({ server: stopped.url, caCert: stopped.caCert, token: TOKEN });
    await stopped.close();
    const unreachable = await KubernetesCluster.connect(
      { mode: 'kubeconfig', text: kubeconfig },
      { retry: { maxAttempts: 3 }, sleep: async () => undefined },
    );
    const error = await unreachable.serverVersion().catch((e: unknown) => e);
    await unreachable.close();
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(
      /could not be reached.*ECONNREFUSED, 3 attempts.*check the cluster endpoint/,
    );
  });

  it('names verb, resource and namespace when RBAC forbids a call', async () => {
    emulator.rules.replace([
      {
        groups: ['hybrid-runner'],
        verbs: ['get', 'list'],
        apiGroups: ['argoproj.io'],
        resources: ['workflows'],
      },
    ]);
    try {
      const error = await cluster.delete(RESOURCES.workflow, NAMESPACE, 'valid-run').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({
        verb: 'delete',
        resource: 'workflows.argoproj.io',
        code: 'cluster_unavailable',
      });
      expect((error as Error).message).toContain(`namespace ${NAMESPACE}`);
    } finally {
      emulator.rules.replace([
        { groups: ['system:authenticated'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      ]);
    }
  });
});
