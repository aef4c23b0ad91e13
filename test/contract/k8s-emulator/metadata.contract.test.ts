// Contract: metadata-only reads (Accept `application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`)
// against the Kubernetes emulator over HTTPS, shaped as the API server's handlers/response.go answers them:
// negotiation by q, skipped clauses falling back to the plain object, 406 for a list asked as an object and
// the reverse, errors untouched, and RBAC deciding as for any get or list. Not a real API server: Table
// has the default columns for built-in kinds, converted watches are refused by the emulator (a real server
// serves them), and there is no protobuf.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';

const NS = 'ingest';
const META_V1 = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const LIST_META_V1 = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const SECRET_VALUE = 'c2VjcmV0LWJvdC10b2tlbg==';
let emulator: KubernetesEmulator;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function call(
  method: string,
  path: string,
  options: { accept?: string; token?: string; body?: unknown } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      `${emulator.url}${path}`,
      {
        method,
        ca: emulator.caCert,
        headers: {
          authorization: `Bearer ${options.token ?? 'admin'}`,
          ...(options.accept ? { accept: options.accept } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const secretPath = (name = '') => `/api/v1/namespaces/${NS}/secrets${name ? `/${name}` : ''}`;

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'static',
      tokens: {
        admin: { username: 'admin' },
        lister: { username: 'lister' },
        getter: { username: 'getter' },
      },
    },
    namespaces: [NS],
    controller: false,
    rbac: [
      { users: ['admin'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { users: ['lister'], verbs: ['list'], apiGroups: [''], resources: ['secrets'], namespaces: [NS] },
      {
        users: ['getter'],
        verbs: ['get'],
        apiGroups: [''],
        resources: ['secrets'],
        namespaces: [NS],
        resourceNames: ['bot'],
      },
    ],
  });
  for (const name of ['bot', 'other', 'third']) {
    const created = await call('POST', secretPath(), {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, labels: { app: 'runner' }, annotations: { note: name } },
        data: { token: SECRET_VALUE },
      },
    });
    expect(created.status).toBe(201);
  }
});

afterAll(async () => {
  await emulator?.close();
});

describe('metadata-only reads on the Kubernetes emulator (PartialObjectMetadata, not a real API server)', () => {
  it('answers a get with the object metadata only: no data, no type', async () => {
    const answer = await call('GET', secretPath('bot'), { accept: META_V1 });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(answer.body).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'bot', namespace: NS, labels: { app: 'runner' }, annotations: { note: 'bot' } },
    });
    expect((answer.body.metadata as Record<string, unknown>).uid).toEqual(expect.any(String));
    expect(JSON.stringify(answer.body)).not.toContain(SECRET_VALUE);
    // without the header, the whole Secret
    expect((await call('GET', secretPath('bot'))).body).toMatchObject({
      kind: 'Secret',
      data: { token: SECRET_VALUE },
    });
  });

  it('serves meta.k8s.io/v1beta1 too, and answers the adapter header (metadata first, JSON as fallback)', async () => {
    const beta = await call('GET', secretPath('bot'), {
      accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1',
    });
    expect(beta.body).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1beta1' });
    const adapter = await call('GET', secretPath('bot'), { accept: `${META_V1},application/json` });
    expect(adapter.body.kind).toBe('PartialObjectMetadata');
  });

  it('skips clauses it cannot honour and falls back to the plain object, as Kubernetes negotiation does', async () => {
    for (const accept of [
      'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v9',
      'application/json;as=PartialObjectMetadata;g=example.com;v=v1',
      'application/json;as=Secret;g=meta.k8s.io;v=v1',
      'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
    ]) {
      const answer = await call('GET', secretPath('bot'), { accept });
      expect({ accept, status: answer.status, kind: answer.body.kind }).toEqual({
        accept,
        status: 200,
        kind: 'Secret',
      });
    }
    // the higher q wins over the order given
    const preferred = await call('GET', secretPath('bot'), {
      accept: `application/json;q=0.5,${META_V1};q=0.9`,
    });
    expect(preferred.body.kind).toBe('PartialObjectMetadata');
    const plain = await call('GET', secretPath('bot'), { accept: `${META_V1};q=0.5,application/json` });
    expect(plain.body.kind).toBe('Secret');
  });

  it('answers a list with PartialObjectMetadataList items, paginated like the plain list', async () => {
    const page = await call('GET', `${secretPath()}?limit=2&labelSelector=app%3Drunner`, {
      accept: LIST_META_V1,
    });
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    const items = page.body.items as Array<Record<string, unknown>>;
    expect(
      items.map((item) => [item.kind, item.apiVersion, (item.metadata as { name: string }).name]),
    ).toEqual([
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'bot'],
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'other'],
    ]);
    expect(JSON.stringify(page.body)).not.toContain(SECRET_VALUE);
    const token = (page.body.metadata as { continue?: string }).continue;
    expect(token).toEqual(expect.any(String));
    const next = await call(
      'GET',
      `${secretPath()}?limit=2&labelSelector=app%3Drunner&continue=${encodeURIComponent(token!)}`,
      {
        accept: LIST_META_V1,
      },
    );
    expect(
      (next.body.items as Array<{ metadata: { name: string } }>).map((item) => item.metadata.name),
    ).toEqual(['third']);
  });

  it('refuses a list asked as one object and one object asked as a list with 406 NotAcceptable', async () => {
    const list = await call('GET', secretPath(), { accept: META_V1 });
    expect(list).toMatchObject({ status: 406, body: { kind: 'Status', reason: 'NotAcceptable', code: 406 } });
    expect(String(list.body.message)).toMatch(
      /requested PartialObjectMetadata, but the requested object is a list/,
    );
    const object = await call('GET', secretPath('bot'), { accept: LIST_META_V1 });
    expect(object).toMatchObject({ status: 406, body: { reason: 'NotAcceptable' } });
    expect(String(object.body.message)).toMatch(
      /requested PartialObjectMetadataList, but the requested object is not a list/,
    );
  });

  it('leaves errors as they are (404 Status), serves Table, and refuses what the emulator does not serve clearly', async () => {
    const missing = await call('GET', secretPath('absent'), { accept: META_V1 });
    expect(missing).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound' } });
    const table = await call('GET', secretPath('bot'), {
      accept: 'application/json;as=Table;g=meta.k8s.io;v=v1',
    });
    expect(table).toMatchObject({
      status: 200,
      body: {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        columnDefinitions: [{ name: 'Name' }, { name: 'Created At' }],
        rows: [{ cells: ['bot', expect.any(String)], object: { kind: 'PartialObjectMetadata' } }],
      },
    });
    const watch = await call('GET', `${secretPath()}?watch=true`, { accept: LIST_META_V1 });
    expect(watch).toMatchObject({ status: 406 });
    expect(String(watch.body.message)).toMatch(/emulator does not serve watches/);
  });

  it('decides RBAC as for any get or list: metadata needs the same verb on the same resource', async () => {
    // `list` does not grant a metadata get, `get` on one name grants exactly that name's metadata
    expect((await call('GET', secretPath('bot'), { accept: META_V1, token: 'lister' })).status).toBe(403);
    expect((await call('GET', secretPath(), { accept: LIST_META_V1, token: 'lister' })).status).toBe(200);
    expect((await call('GET', secretPath('bot'), { accept: META_V1, token: 'getter' })).status).toBe(200);
    expect((await call('GET', secretPath('other'), { accept: META_V1, token: 'getter' })).status).toBe(403);
    expect((await call('GET', secretPath(), { accept: LIST_META_V1, token: 'getter' })).status).toBe(403);
  });
});
