// Contract: the real @kubernetes/client-node 2 against the emulator over HTTPS (CA-verified TLS, bearer
// tokens). Proves wire compatibility, Status error bodies, list/watch/patch/delete semantics, RBAC decisions,
// pod logs and fault injection. It cannot prove behaviour of a real API server beyond what is emulated.
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';

const NS = 'ingest';
let emulator: KubernetesEmulator;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;

function configFor(token: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromString(
    createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token, namespace: NS }),
  );
  return config;
}

/** The Status body of a failed client call. */
async function failure(
  call: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof k8s.ApiException) {
      const body =
        typeof error.body === 'string'
          ? (JSON.parse(error.body) as Record<string, unknown>)
          : (error.body as Record<string, unknown>);
      return { code: error.code, body, headers: error.headers };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

const workflow = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, labels: { app: 'test' } },
  spec: {
    entrypoint: 'main',
    templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }],
    ...extra,
  },
});

const wfParams = { group: 'argoproj.io', version: 'v1alpha1', namespace: NS, plural: 'workflows' };

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'static',
      tokens: { admin: { username: 'admin' }, runner: { username: 'runner', groups: ['runners'] } },
    },
    namespaces: [NS],
    controller: false,
  });
  kc = configFor('admin');
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
});

afterAll(async () => {
  await emulator?.close();
});

describe('Kubernetes emulator with the real client (contract)', () => {
  it('serves discovery and version so clients can check that the Argo CRDs exist', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+/);
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toContain('argoproj.io');
    const resources = await custom.getAPIResources({ group: 'argoproj.io', version: 'v1alpha1' });
    expect(resources.resources.map((r) => r.name).sort()).toEqual(['cronworkflows', 'workflows']);
    const coreResources = await core.getAPIResources();
    expect(coreResources.resources.map((r) => r.name)).toContain('pods/log');
  });

  it('lists the access-review API (authorization.k8s.io/v1) in discovery, as a real API server does', async () => {
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.find((g) => g.name === 'authorization.k8s.io')).toMatchObject({
      versions: [{ groupVersion: 'authorization.k8s.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'authorization.k8s.io/v1', version: 'v1' },
    });
    const group = await kc.makeApiClient(k8s.AuthorizationApi).getAPIGroup();
    expect(group.name).toBe('authorization.k8s.io');
    const resources = await kc.makeApiClient(k8s.AuthorizationV1Api).getAPIResources();
    expect(resources.resources.map((r) => [r.name, r.kind, r.namespaced, r.verbs])).toEqual([
      ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, ['create']],
      ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, ['create']],
      ['subjectaccessreviews', 'SubjectAccessReview', false, ['create']],
    ]);
    const rulesReview = await kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectRulesReview({
      body: { spec: { namespace: NS } },
    });
    expect(rulesReview.status?.incomplete).toBe(false);
    expect(rulesReview.status?.resourceRules.length).toBeGreaterThan(0);
    // What discovery lists is served: the runner may ask about itself.
    const review = await kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'list', resource: 'pods', namespace: NS } } },
    });
    expect(review.status?.allowed).toBe(true);
  });

  it('refuses TLS without the emulator CA (no insecure skip needed or allowed)', async () => {
    const error = await new Promise<Error>((resolve) => {
      const req = httpsRequest(
        `${emulator.url}/version`,
        { headers: { authorization: 'Bearer admin' } },
        () => resolve(new Error('connected')),
      );
      req.on('error', resolve);
      req.end();
    });
    expect(error.message).toMatch(/self[- ]signed|unable to verify|certificate/i);
  });

  it('answers a bad or missing token with 401 Unauthorized as a Status', async () => {
    await expect(
      configFor('wrong').makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: NS }),
    ).rejects.toMatchObject({ code: 401 });
    // The generated client drops 401 bodies, so read the Status over plain HTTPS.
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        `${emulator.url}/api/v1/namespaces/${NS}/secrets`,
        { ca: emulator.caCert },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('creates, reads, replaces and deletes core objects with Status errors for 404/409', async () => {
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'cfg' }, stringData: { config: 'a: 1' } },
    });
    const read = await core.readNamespacedSecret({ namespace: NS, name: 'cfg' });
    expect(Buffer.from(read.data?.['config'] ?? '', 'base64').toString()).toBe('a: 1');
    const exists = await failure(
      core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'cfg' } } }),
    );
    expect(exists).toMatchObject({
      code: 409,
      body: { reason: 'AlreadyExists', message: 'secrets "cfg" already exists' },
    });
    const stale = { ...read, metadata: { ...read.metadata, resourceVersion: '1' } };
    const conflict = await failure(core.replaceNamespacedSecret({ namespace: NS, name: 'cfg', body: stale }));
    expect(conflict).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    const replaced = await core.replaceNamespacedSecret({
      namespace: NS,
      name: 'cfg',
      body: { ...read, stringData: { config: 'a: 2' } },
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(read.metadata?.resourceVersion),
    );
    await core.deleteNamespacedSecret({ namespace: NS, name: 'cfg' });
    const gone = await failure(core.readNamespacedSecret({ namespace: NS, name: 'cfg' }));
    expect(gone).toMatchObject({
      code: 404,
      body: {
        kind: 'Status',
        reason: 'NotFound',
        message: 'secrets "cfg" not found',
        details: { name: 'cfg', kind: 'secrets' },
      },
    });
  });

  it('lists with label selectors, field selectors and limit/continue pagination', async () => {
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: `page-${i}`, labels: { set: 'paging', parity: i % 2 ? 'odd' : 'even' } } },
      });
    }
    const odd = await core.listNamespacedConfigMap({
      namespace: NS,
      labelSelector: 'set=paging,parity in (odd)',
    });
    expect(odd.items.map((c) => c.metadata?.name)).toEqual(['page-1', 'page-3', 'page-5']);
    const notEven = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set,parity!=even' });
    expect(notEven.items).toHaveLength(3);
    const byName = await core.listNamespacedConfigMap({
      namespace: NS,
      fieldSelector: 'metadata.name=page-4',
    });
    expect(byName.items.map((c) => c.metadata?.name)).toEqual(['page-4']);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: NS,
        labelSelector: 'set=paging',
        limit: 3,
        _continue: token,
      });
      names.push(...page.items.map((c) => c.metadata?.name ?? ''));
      token = page.metadata?._continue;
    } while (token);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    const bad = await failure(core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set in (' }));
    expect(bad).toMatchObject({ code: 400, body: { reason: 'BadRequest' } });
  });

  it('validates Workflows against the Argo CRD schema: 422 Invalid with causes', async () => {
    const invalid = await failure(
      custom.createNamespacedCustomObject({
        ...wfParams,
        body: {
          ...workflow('bad'),
          spec: {
            entrypoint: 'main',
            templates: [{ name: 'main', container: { image: 'x' } }],
            notAField: true,
          },
        },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.body).toMatchObject({
      reason: 'Invalid',
      details: { kind: 'Workflow', group: 'argoproj.io', name: 'bad' },
    });
    expect(JSON.stringify(invalid.body['details'])).toContain('notAField');
    const noKind = await failure(
      custom.createNamespacedCustomObject({ ...wfParams, body: { metadata: { name: 'x' }, spec: {} } }),
    );
    expect(noKind.code).toBe(400);
  });

  it('merge-patches and JSON-patches custom resources, and refuses strategic merge patch with 415', async () => {
    await custom.createNamespacedCustomObject({ ...wfParams, body: workflow('patchme') });
    const merged = (await custom.patchNamespacedCustomObject(
      {
        ...wfParams,
        name: 'patchme',
        body: { spec: { shutdown: 'Stop' }, metadata: { labels: { extra: 'yes' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )) as { spec: { shutdown: string }; metadata: { labels: Record<string, string> } };
    expect(merged.spec.shutdown).toBe('Stop');
    expect(merged.metadata.labels).toEqual({ app: 'test', extra: 'yes' });
    const jsonPatched = (await custom.patchNamespacedCustomObject(
      { ...wfParams, name: 'patchme', body: [{ op: 'replace', path: '/spec/shutdown', value: 'Terminate' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    )) as { spec: { shutdown: string } };
    expect(jsonPatched.spec.shutdown).toBe('Terminate');
    const wrongType = await failure(
      custom.patchNamespacedCustomObject(
        { ...wfParams, name: 'patchme', body: { spec: { parallelism: 'many' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(wrongType).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
    const strategic = await failure(
      custom.patchNamespacedCustomObject(
        { ...wfParams, name: 'patchme', body: { spec: {} } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(strategic).toMatchObject({ code: 415, body: { reason: 'UnsupportedMediaType' } });
    const missing = await failure(
      custom.patchNamespacedCustomObject(
        { ...wfParams, name: 'nope', body: {} },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(missing).toMatchObject({ code: 404, body: { message: 'workflows.argoproj.io "nope" not found' } });
  });

  it('streams watch events (ADDED/MODIFIED/DELETED) from a resourceVersion with the client Watch', async () => {
    const start = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=watched' });
    const seen: string[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      void new k8s.Watch(kc)
        .watch(
          `/api/v1/namespaces/${NS}/configmaps`,
          { resourceVersion: start.metadata?.resourceVersion, labelSelector: 'set=watched' },
          (type, object: k8s.V1ConfigMap) => {
            seen.push(`${type} ${object.metadata?.name} ${object.data?.['v'] ?? ''}`.trim());
            if (type === 'DELETED') resolve();
          },
          (error: unknown) => (error ? reject(error as Error) : undefined),
        )
        .then((abort) => finished.finally(() => abort.abort()));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'w1', labels: { set: 'watched' } } },
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'other', labels: { set: 'ignored' } } },
    });
    await core.patchNamespacedConfigMap(
      { namespace: NS, name: 'w1', body: { data: { v: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'w1' });
    await finished;
    expect(seen).toEqual(['ADDED w1', 'MODIFIED w1 2', 'DELETED w1 2']);
  });

  it('replays a watch from an older resourceVersion: MODIFIED for objects that existed, ADDED for new ones', async () => {
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'before', labels: { set: 'replay' } } },
    });
    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=replay' });
    await core.patchNamespacedConfigMap(
      { namespace: NS, name: 'before', body: { data: { v: '1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'after', labels: { set: 'replay' } } },
    });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      void new k8s.Watch(kc)
        .watch(
          `/api/v1/namespaces/${NS}/configmaps`,
          { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'set=replay' },
          (type, object: k8s.V1ConfigMap) => {
            seen.push(`${type} ${object.metadata?.name}`);
            if (seen.length === 2) resolve();
          },
          (error: unknown) => (error ? reject(error as Error) : undefined),
        )
        .then((abort) => setTimeout(() => abort.abort(), 500));
    });
    expect(seen).toEqual(['MODIFIED before', 'ADDED after']);
  });

  it('keeps pod status out of main-resource writes and changes only status through /status', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: { metadata: { name: 'status-pod' }, spec: { containers: [{ name: 'main', image: 'x' }] } },
    });
    const patched = await core.patchNamespacedPod(
      {
        namespace: NS,
        name: 'status-pod',
        body: { metadata: { labels: { l: '1' } }, status: { phase: 'Succeeded' } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.status?.phase).toBe('Pending');
    expect(patched.metadata?.labels).toEqual({ l: '1' });
    const viaStatus = await core.patchNamespacedPodStatus(
      {
        namespace: NS,
        name: 'status-pod',
        body: { metadata: { labels: { ignored: 'yes' } }, status: { phase: 'Running' } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(viaStatus.status?.phase).toBe('Running');
    expect(viaStatus.metadata?.labels).toEqual({ l: '1' });
  });

  it('feeds a client-node informer (list then watch)', async () => {
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${NS}/serviceaccounts`, () =>
      core.listNamespacedServiceAccount({ namespace: NS }),
    );
    const added: string[] = [];
    informer.on('add', (object: k8s.V1ServiceAccount) => added.push(object.metadata?.name ?? ''));
    await informer.start();
    try {
      await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'informed' } } });
      const deadline = Date.now() + 2000;
      while (!added.includes('informed') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(added).toContain('default');
      expect(added).toContain('informed');
      expect(informer.get('informed', NS)?.metadata?.name).toBe('informed');
    } finally {
      await informer.stop();
    }
  });

  it('garbage-collects a Secret and pods owned by a deleted Workflow', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...wfParams, body: workflow('owner') })) as {
      metadata: { uid: string };
    };
    const ownerReferences = [
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'owner', uid: created.metadata.uid },
    ];
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'owned-config', ownerReferences } },
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'owned-pod', ownerReferences },
        spec: { containers: [{ name: 'main', image: 'x' }] },
      },
    });
    await custom.deleteNamespacedCustomObject({
      ...wfParams,
      name: 'owner',
      propagationPolicy: 'Foreground',
    });
    expect((await failure(core.readNamespacedSecret({ namespace: NS, name: 'owned-config' }))).code).toBe(
      404,
    );
    expect((await failure(core.readNamespacedPod({ namespace: NS, name: 'owned-pod' }))).code).toBe(404);
  });

  it('serves pod logs: container selection, limitBytes, and a large log streamed in chunks', async () => {
    const pods = emulator.cluster.resource('', 'pods');
    emulator.cluster.create(pods, NS, {
      metadata: { name: 'logger' },
      spec: {
        nodeName: 'n1',
        containers: [
          { name: 'wait', image: 'w' },
          { name: 'main', image: 'm' },
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
    const line = `${'0123456789'.repeat(10)}\n`;
    const big = line.repeat(40_000); // ~4 MB
    emulator.cluster.logs.append(NS, 'logger', 'main', big);
    emulator.cluster.logs.finish(NS, 'logger', 'main');
    const unspecified = await failure(core.readNamespacedPodLog({ namespace: NS, name: 'logger' }));
    expect(unspecified.body['message']).toBe(
      'a container name must be specified for pod logger, choose one of: [wait main]',
    );
    const limited = await core.readNamespacedPodLog({
      namespace: NS,
      name: 'logger',
      container: 'main',
      limitBytes: 25,
    });
    expect(limited).toBe(line.slice(0, 25));
    let bytes = 0;
    let chunks = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        chunks++;
        callback();
      },
    });
    // client-node 2 never calls Log's done callback: the piped sink finishing is the end of the stream.
    await new k8s.Log(kc).log(NS, 'logger', 'main', sink, { follow: true });
    await finished(sink);
    expect(bytes).toBe(Buffer.byteLength(big));
    expect(chunks).toBeGreaterThan(10);
  });

  it('answers requests RBAC does not allow with 403 and the real server message, and audits them', async () => {
    emulator.rules.replace([
      { users: ['admin'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      {
        groups: ['runners'],
        verbs: ['get', 'list'],
        apiGroups: [''],
        resources: ['pods', 'pods/log'],
        namespaces: [NS],
      },
    ]);
    emulator.audit.clear();
    try {
      const runner = configFor('runner').makeApiClient(k8s.CoreV1Api);
      await runner.listNamespacedPod({ namespace: NS });
      const denied = await failure(
        runner.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'x' } } }),
      );
      expect(denied).toMatchObject({
        code: 403,
        body: {
          reason: 'Forbidden',
          message:
            'secrets is forbidden: User "runner" cannot create resource "secrets" in API group "" in the namespace "ingest"',
        },
      });
      const workflows = configFor('runner').makeApiClient(k8s.CustomObjectsApi);
      const deniedGet = await failure(workflows.getNamespacedCustomObject({ ...wfParams, name: 'patchme' }));
      expect(deniedGet.body['message']).toBe(
        'workflows.argoproj.io "patchme" is forbidden: User "runner" cannot get resource "workflows" in API group "argoproj.io" in the namespace "ingest"',
      );
      expect(emulator.audit.permissionsUsed('runner')).toEqual([
        { verb: 'list', apiGroup: '', resource: 'pods', namespace: NS },
        { verb: 'create', apiGroup: '', resource: 'secrets', namespace: NS },
        { verb: 'get', apiGroup: 'argoproj.io', resource: 'workflows', namespace: NS },
      ]);
      expect(emulator.audit.entries({ user: 'runner', allowed: false })).toHaveLength(2);
    } finally {
      emulator.rules.replace([
        { groups: ['system:authenticated'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      ]);
    }
  });

  it('injects 429 with Retry-After, 503, connection resets, hangs and latency', async () => {
    const throttled = emulator.faults.inject({
      kind: 'status',
      status: 429,
      retryAfterSeconds: 3,
      method: 'GET',
      path: '/secrets',
      times: 1,
    });
    const status = await failure(core.listNamespacedSecret({ namespace: NS }));
    expect(status).toMatchObject({
      code: 429,
      body: { reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } },
    });
    expect(status.headers['retry-after']).toBe('3');
    expect(throttled.hits).toBe(1);
    await core.listNamespacedSecret({ namespace: NS });

    emulator.faults.inject({ kind: 'status', status: 500, method: 'POST', path: '/configmaps', times: 1 });
    const internal = await failure(
      core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'after-500' } } }),
    );
    expect(internal).toMatchObject({ code: 500, body: { reason: 'InternalError' } });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'after-500' } } });

    emulator.faults.inject({ kind: 'status', status: 503, path: '/configmaps', times: 1 });
    expect((await failure(core.listNamespacedConfigMap({ namespace: NS }))).code).toBe(503);

    emulator.faults.inject({ kind: 'reset', path: '/serviceaccounts', times: 1 });
    await expect(core.listNamespacedServiceAccount({ namespace: NS })).rejects.toThrow();
    await expect(core.listNamespacedServiceAccount({ namespace: NS })).resolves.toBeDefined();

    emulator.faults.inject({ kind: 'hang', path: '/events', times: 1 });
    const timedOut = await new Promise<string>((resolve) => {
      const req = httpsRequest(
        `${emulator.url}/api/v1/namespaces/${NS}/events`,
        { ca: emulator.caCert, headers: { authorization: 'Bearer admin' }, timeout: 150 },
        () => resolve('answered'),
      );
      req.on('timeout', () => {
        req.destroy();
        resolve('timeout');
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(timedOut).toBe('timeout');

    emulator.faults.setLatency(40);
    const started = performance.now();
    await core.listNamespacedSecret({ namespace: NS });
    expect(performance.now() - started).toBeGreaterThanOrEqual(38);
    emulator.faults.clear();
  });
});
