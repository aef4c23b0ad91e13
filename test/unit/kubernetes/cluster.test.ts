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
import {
  KubernetesCluster,
  ExpiredListError,
  MERGE_PATCH_CONTENT_TYPE,
  UnauthenticatedError,
  kubeConfigWithTokenProvider,
  retryOnConflict,
} from '@hybrid-runner/kubernetes';
import type { ClusterConfig } from '@hybrid-runner/kubernetes';
import { generate } from 'selfsigned';
import { sendJson, sendStatus, startScriptedApiServer } from './scripted-api-server.ts';
import type { ScriptedApiServer } from './scripted-api-server.ts';

class CountingTokens {
  issued = 0;
  invalidated = 0;
  current = 'token-1';
  async token() {
    this.issued++;
    return this.current;
  }
  invalidate() {
    this.invalidated++;
    this.current = `token-${this.invalidated + 1}`;
  }
}

let server: ScriptedApiServer;
let tokens: CountingTokens;
let sleeps: number[];
let cluster: KubernetesCluster;

function configFor(url: string, caData: string): ClusterConfig {
  return {
    kubeConfig: kubeConfigWithTokenProvider({ name: 'test', server: url, caData, tokenProvider: tokens }),
    server: url,
    description: 'test cluster',
    tokenProvider: tokens,
  };
}

beforeAll(async () => {
  server = await startScriptedApiServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  await cluster?.close();
  server.requests.length = 0;
  tokens = new CountingTokens();
  sleeps = [];
  cluster = new KubernetesCluster(configFor(server.url, server.caData), {
    retry: { maxAttempts: 4, timeoutMs: 2_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
});

const workflow = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, namespace: 'ingest', labels },
  spec: { entrypoint: 'main' },
});

describe('KubernetesCluster requests (scripted HTTPS server, TLS checked against its CA)', () => {
  it('gets an object with the bearer token from the provider, and undefined on 404', async () => {
    server.handle((request, response) => {
      if (request.path.endsWith('/present')) sendJson(response, 200, workflow('present'));
      else sendStatus(response, 404, 'NotFound', 'workflows "absent" not found');
    });
    const found = await cluster.get(RESOURCES.workflow, 'ingest', 'present');
    expect(found?.metadata.name).toBe('present');
    expect(await cluster.get(RESOURCES.workflow, 'ingest', 'absent')).toBeUndefined();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/argoproj.io/v1alpha1/namespaces/ingest/workflows/present',
      'GET /apis/argoproj.io/v1alpha1/namespaces/ingest/workflows/absent',
    ]);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer token-1');
  });

  it('creates with a JSON POST and fills in apiVersion/kind the server left off list items', async () => {
    server.handle((request, response) => {
      if (request.method === 'POST')
        sendJson(response, 201, { ...JSON.parse(request.body), metadata: { name: 's1', uid: 'u1' } });
      else
        sendJson(response, 200, {
          kind: 'SecretList',
          metadata: { continue: 'next-page', resourceVersion: '42' },
          items: [{ metadata: { name: 's1' } }],
        });
    });
    const created = await cluster.create<KubeObject>(RESOURCES.secret, 'ingest', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1' },
      stringData: { config: 'x' },
    });
    expect(created.metadata.uid).toBe('u1');
    expect(server.requests[0]?.path).toBe('/api/v1/namespaces/ingest/secrets');
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    const page = await cluster.list(RESOURCES.secret, 'ingest', {
      labelSelector: 'a=b,c in (d)',
      limit: 500,
      continue: 'tok',
    });
    expect(page).toEqual({
      items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' } }],
      continue: 'next-page',
      resourceVersion: '42',
    });
    const query = server.requests[1]?.url.searchParams;
    expect(query?.get('labelSelector')).toBe('a=b,c in (d)');
    expect(query?.get('limit')).toBe('500');
    expect(query?.get('continue')).toBe('tok');
  });

  it('sends merge patches as application/merge-patch+json', async () => {
    server.handle((request, response) =>
      sendJson(response, 200, { ...workflow('w'), spec: JSON.parse(request.body).spec }),
    );
    const patched = await cluster.mergePatch(RESOURCES.workflow, 'ingest', 'w', {
      spec: { shutdown: 'Stop' },
    });
    expect(patched.spec).toEqual({ shutdown: 'Stop' });
    expect(server.requests[0]?.method).toBe('PATCH');
    expect(server.requests[0]?.headers['content-type']).toBe(MERGE_PATCH_CONTENT_TYPE);
  });

  it('deletes with a propagation policy and answers false when the object was already gone', async () => {
    server.handle((request, response) => {
      if (request.path.endsWith('/gone')) sendStatus(response, 404, 'NotFound', 'not found');
      else sendJson(response, 200, { kind: 'Status', status: 'Success' });
    });
    expect(await cluster.delete(RESOURCES.workflow, 'ingest', 'w', { propagationPolicy: 'Foreground' })).toBe(
      true,
    );
    expect(await cluster.delete(RESOURCES.workflow, 'ingest', 'gone')).toBe(false);
    expect(server.requests[0]?.url.searchParams.get('propagationPolicy')).toBe('Foreground');
  });

  it('asks for metadata only when checking a Secret exists', async () => {
    server.handle((_request, response) =>
      sendJson(response, 200, { kind: 'PartialObjectMetadata', metadata: { name: 'db' } }),
    );
    expect(await cluster.getMetadata(RESOURCES.secret, 'ingest', 'db')).toEqual({ name: 'db' });
    expect(server.requests[0]?.headers.accept).toContain('as=PartialObjectMetadata');
  });

  it('reads the server version and discovers served resources', async () => {
    server.handle((request, response) => {
      if (request.path === '/version') sendJson(response, 200, { gitVersion: 'v1.33.1-eks-1' });
      else if (request.path === '/apis/argoproj.io/v1alpha1')
        sendJson(response, 200, { resources: [{ name: 'workflows' }, { name: 'workflows/status' }] });
      else sendStatus(response, 404, 'NotFound', 'the server could not find the requested resource');
    });
    expect(await cluster.serverVersion()).toEqual({ gitVersion: 'v1.33.1-eks-1' });
    expect(await cluster.hasResource('argoproj.io', 'v1alpha1', 'workflows')).toBe(true);
    expect(await cluster.hasResource('argoproj.io', 'v1alpha1', 'cronworkflows')).toBe(false);
    expect(await cluster.hasResource('argoproj.io', 'v1', 'workflows')).toBe(false);
  });
});

describe('KubernetesCluster faults', () => {
  it('waits as long as Retry-After says through a 429 storm, then succeeds', async () => {
    let calls = 0;
    server.handle((_request, response) => {
      if (++calls <= 3)
        sendStatus(response, 429, 'TooManyRequests', 'too many requests', { 'retry-after': '2' });
      else sendJson(response, 200, workflow('w'));
    });
    expect((await cluster.get(RESOURCES.workflow, 'ingest', 'w'))?.metadata.name).toBe('w');
    expect(sleeps).toEqual([2000, 2000, 2000]);
  });

  it('gives up on a 429 whose Retry-After exceeds the limit and says to retry later', async () => {
    server.handle((_request, response) =>
      sendStatus(response, 429, 'TooManyRequests', 'slow down', { 'retry-after': '600' }),
    );
    const error = await cluster.get(RESOURCES.workflow, 'ingest', 'w').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/throttling.*retry later/);
    expect(server.requests).toHaveLength(1);
  });

  it('retries 500s on reads with growing jittered backoff, then reports cluster_unavailable', async () => {
    server.handle((_request, response) => sendStatus(response, 500, 'InternalError', 'etcd timeout'));
    const error = await cluster.list(RESOURCES.workflow, 'ingest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as ClusterUnavailableError).code).toBe('cluster_unavailable');
    expect((error as Error).message).toContain('etcd timeout');
    expect(server.requests).toHaveLength(4);
    // random() = 0.5 of a ceiling doubling from 200 ms.
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('reconciles a retried create whose first attempt applied (409 AlreadyExists with our labels)', async () => {
    let posts = 0;
    server.handle((request, response) => {
      if (request.method === 'POST' && ++posts === 1)
        sendStatus(response, 500, 'InternalError', 'timeout waiting for etcd');
      else if (request.method === 'POST')
        sendStatus(response, 409, 'AlreadyExists', 'workflows "run-1" already exists');
      else
        sendJson(response, 200, {
          ...workflow('run-1', { run: '1', 'workflows.argoproj.io/phase': 'Running' }),
          metadata: {
            name: 'run-1',
            uid: 'u-1',
            labels: { run: '1', 'workflows.argoproj.io/phase': 'Running' },
          },
        });
    });
    const created = await cluster.create(RESOURCES.workflow, 'ingest', workflow('run-1', { run: '1' }));
    expect(created.metadata.uid).toBe('u-1');
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET']);
  });

  it('reports a conflict when the existing object is not the one it tried to create', async () => {
    let posts = 0;
    server.handle((request, response) => {
      if (request.method === 'POST' && ++posts === 1)
        sendStatus(response, 503, 'ServiceUnavailable', 'unavailable');
      else if (request.method === 'POST') sendStatus(response, 409, 'AlreadyExists', 'already exists');
      else sendJson(response, 200, workflow('run-1', { run: 'someone-else' }));
    });
    const error = await cluster
      .create(RESOURCES.workflow, 'ingest', workflow('run-1', { run: '1' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/already exists/);
  });

  it('reports a first-attempt 409 on create as a conflict without reading the object', async () => {
    server.handle((_request, response) =>
      sendStatus(response, 409, 'AlreadyExists', 'secrets "s" already exists'),
    );
    await expect(
      cluster.create(RESOURCES.secret, 'ingest', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's' },
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(server.requests).toHaveLength(1);
  });

  /** A create the client must not repeat: with generateName a retry could start a second run. */
  const createGeneratedWorkflow = (): Promise<unknown> =>
    cluster
      .create(RESOURCES.workflow, 'ingest', {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: { generateName: 'run-' },
      })
      .catch((e: unknown) => e);

  it('does not repeat a generateName create after a connection reset (it may have applied)', async () => {
    server.handle((request, response) => {
      response.socket?.destroy();
    });
    const error = await createGeneratedWorkflow();
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/may or may not have been created/);
    expect(server.requests).toHaveLength(1);
  });

  it('does not repeat a generateName create after a 500 (it may have applied), but reports it', async () => {
    server.handle((_request, response) => sendStatus(response, 500, 'InternalError', 'etcd leader changed'));
    const error = await createGeneratedWorkflow();
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toContain('etcd leader changed');
    expect(server.requests).toHaveLength(1);
  });

  it('reports an expired list continue token (410) so the caller can list again from the start', async () => {
    server.handle((_request, response) =>
      sendStatus(response, 410, 'Expired', 'The provided continue parameter is too old'),
    );
    const error = await cluster
      .list(RESOURCES.workflow, 'ingest', { continue: 'old' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpiredListError);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/list again from the start/);
  });

  it('maps 409 on an update to ConflictError, and retryOnConflict re-reads and wins', async () => {
    let version = 1;
    server.handle((request, response) => {
      if (request.method === 'GET')
        return sendJson(response, 200, {
          ...workflow('w'),
          metadata: { name: 'w', resourceVersion: String(version) },
        });
      const sent = JSON.parse(request.body) as KubeObject;
      if (sent.metadata.resourceVersion !== String(version))
        return sendStatus(response, 409, 'Conflict', 'the object has been modified');
      version++;
      sendJson(response, 200, { ...sent, metadata: { ...sent.metadata, resourceVersion: String(version) } });
    });
    const stale = { ...workflow('w'), metadata: { name: 'w', resourceVersion: '0' } };
    await expect(cluster.replace(RESOURCES.workflow, 'ingest', stale)).rejects.toBeInstanceOf(ConflictError);
    let reads = 0;
    const updated = await retryOnConflict(
      async () => {
        const current = await cluster.get(RESOURCES.workflow, 'ingest', 'w');
        reads++;
        // Someone else writes between our first read and our write.
        if (reads === 1) version++;
        return cluster.replace(RESOURCES.workflow, 'ingest', { ...current!, spec: { suspend: true } });
      },
      { sleep: async () => undefined },
    );
    expect(reads).toBe(2);
    expect(updated.spec).toEqual({ suspend: true });
  });

  it('names the verb and resource on 403', async () => {
    server.handle((_request, response) => sendStatus(response, 403, 'Forbidden', 'cannot patch resource'));
    const error = await cluster
      .mergePatch(RESOURCES.cronWorkflow, 'ingest', 'c', { spec: { suspend: true } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({
      verb: 'patch',
      resource: 'cronworkflows.argoproj.io',
      code: 'cluster_unavailable',
    });
    expect((error as Error).message).toContain('namespace ingest');
  });

  it('mints a fresh token once on 401 (token expired mid-operation) and carries on', async () => {
    server.handle((request, response) => {
      if (request.headers.authorization === 'Bearer token-1')
        sendStatus(response, 401, 'Unauthorized', 'Unauthorized');
      else sendJson(response, 200, workflow('w'));
    });
    expect((await cluster.get(RESOURCES.workflow, 'ingest', 'w'))?.metadata.name).toBe('w');
    expect(tokens.invalidated).toBe(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('reports a persistent 401 as unauthenticated after one refresh, never echoing the token', async () => {
    server.handle((_request, response) => sendStatus(response, 401, 'Unauthorized', 'Unauthorized'));
    const error = await cluster.get(RESOURCES.workflow, 'ingest', 'w').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).toMatch(/access entry/);
    expect((error as Error).message).not.toContain('token-');
    expect(server.requests).toHaveLength(2);
  });

  it('maps 422 to InvalidObjectError with the server explanation', async () => {
    server.handle((_request, response) =>
      sendStatus(
        response,
        422,
        'Invalid',
        'Workflow.argoproj.io "w" is invalid: spec.entrypoint: Required value',
      ),
    );
    const error = await cluster.create(RESOURCES.workflow, 'ingest', workflow('w')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidObjectError);
    expect((error as Error).message).toContain('spec.entrypoint: Required value');
  });

  it('retries reads that time out and then says what to check', async () => {
    server.handle(() => undefined); // never answers
    const slow = new KubernetesCluster(configFor(server.url, server.caData), {
      retry: { maxAttempts: 2, timeoutMs: 100 },
      sleep: async () => undefined,
    });
    const error = await slow.get(RESOURCES.workflow, 'ingest', 'w').catch((e: unknown) => e);
    await slow.close();
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(
      /could not be reached.*ETIMEDOUT.*2 attempts.*check the cluster endpoint/,
    );
    expect(server.requests).toHaveLength(2);
  });

  it('retries an unreachable server, then reports cluster_unavailable naming the cluster', async () => {
    const closed = await startScriptedApiServer();
    await closed.close();
    const unreachable = new KubernetesCluster(configFor(closed.url, closed.caData), {
      retry: { maxAttempts: 3 },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await unreachable.serverVersion().catch((e: unknown) => e);
    await unreachable.close();
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/test cluster could not be reached.*ECONNREFUSED, 3 attempts/);
    expect(sleeps).toHaveLength(2);
  });

  it('fails fast with a CA hint when the server certificate does not match the configured CA', async () => {
    const otherCa = await generate([{ name: 'commonName', value: 'another-ca' }], {
      keyType: 'ec',
      algorithm: 'sha256',
    });
    const mistrusting = new KubernetesCluster(
      configFor(server.url, Buffer.from(otherCa.cert).toString('base64')),
      {
        sleep: async () => undefined,
      },
    );
    server.handle((_request, response) => sendJson(response, 200, { gitVersion: 'v1' }));
    const error = await mistrusting.serverVersion().catch((e: unknown) => e);
    await mistrusting.close();
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/failed TLS verification.*check the cluster's CA/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('KubernetesCluster pod logs', () => {
  it('streams container main chunk by chunk without waiting for the whole log', async () => {
    let release: () => void = () => undefined;
    const secondChunkMayGo = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.handle(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first line\n');
      await secondChunkMayGo;
      response.end('second line\n');
    });
    const chunks: string[] = [];
    for await (const chunk of cluster.podLogs('ingest', 'run-1-main-123', {
      container: 'main',
      limitBytes: 1024,
    })) {
      chunks.push(Buffer.from(chunk).toString('utf8'));
      // The second chunk is only sent after the first arrived here: proof of streaming.
      release();
    }
    expect(chunks.join('')).toBe('first line\nsecond line\n');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    const query = server.requests[0]?.url.searchParams;
    expect(server.requests[0]?.path).toBe('/api/v1/namespaces/ingest/pods/run-1-main-123/log');
    expect(query?.get('container')).toBe('main');
    expect(query?.get('limitBytes')).toBe('1024');
  });

  it('stops reading when the consumer stops early', async () => {
    let closed = false;
    server.handle((_request, response) => {
      response.writeHead(200);
      response.write('a'.repeat(1000));
      response.on('close', () => {
        closed = true;
      });
      // never ends on its own
    });
    for await (const _chunk of cluster.podLogs('ingest', 'p', { container: 'main' })) break;
    await expect.poll(() => closed, { timeout: 2_000 }).toBe(true);
  });

  it('maps "container is waiting to start" (400) and a missing pod (404) to not_found', async () => {
    server.handle((request, response) => {
      if (request.path.includes('/waiting/'))
        sendStatus(
          response,
          400,
          'BadRequest',
          'container "main" in pod "waiting" is waiting to start: ContainerCreating',
        );
      else sendStatus(response, 404, 'NotFound', 'pods "gone" not found');
    });
    const read = async (pod: string) => {
      for await (const _chunk of cluster.podLogs('ingest', pod, { container: 'main' })) {
        // drain
      }
    };
    const waiting = await read('waiting').catch((e: unknown) => e);
    expect(waiting).toBeInstanceOf(NotFoundError);
    expect((waiting as Error).message).toMatch(/waiting to start.*Try again once the pod runs/);
    await expect(read('gone')).rejects.toBeInstanceOf(NotFoundError);
  });
});
