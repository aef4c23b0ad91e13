import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@hybrid-runner/k8s-emulator';
import { EmulatedCluster, ObjectStore, builtinResources } from '@hybrid-runner/k8s-emulator';

function newCluster(): EmulatedCluster {
  const cluster = new EmulatedCluster(builtinResources());
  cluster.create(cluster.resource('', 'namespaces'), undefined, { metadata: { name: 'ns' } });
  return cluster;
}

const meta = (object: KubeObject | undefined): Record<string, unknown> =>
  (object?.metadata ?? {}) as Record<string, unknown>;

describe('object store semantics', () => {
  it('assigns uid, creationTimestamp and a global, increasing resourceVersion', () => {
    const cluster = newCluster();
    const secrets = cluster.resource('', 'secrets');
    const a = cluster.create(secrets, 'ns', { metadata: { name: 'a' } });
    const b = cluster.create(secrets, 'ns', { metadata: { name: 'b' } });
    expect(meta(a).uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta(a).creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(meta(b).resourceVersion)).toBeGreaterThan(Number(meta(a).resourceVersion));
    expect(a.kind).toBe('Secret');
    expect(a['type']).toBe('Opaque');
  });

  it('answers a second create of the same name with 409 AlreadyExists', () => {
    const cluster = newCluster();
    const secrets = cluster.resource('', 'secrets');
    cluster.create(secrets, 'ns', { metadata: { name: 'a' } });
    expect(() => cluster.create(secrets, 'ns', { metadata: { name: 'a' } })).toThrow(
      expect.objectContaining({ code: 409, reason: 'AlreadyExists', message: 'secrets "a" already exists' }),
    );
  });

  it('generates names from generateName with a 5-character suffix', () => {
    const cluster = newCluster();
    const created = cluster.create(cluster.resource('', 'configmaps'), 'ns', {
      metadata: { generateName: 'run-' },
    });
    expect(meta(created).name).toMatch(/^run-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('refuses creates in a namespace that does not exist with 404 for the namespace', () => {
    const cluster = newCluster();
    expect(() =>
      cluster.create(cluster.resource('', 'secrets'), 'missing', { metadata: { name: 'a' } }),
    ).toThrow(expect.objectContaining({ code: 404, message: 'namespaces "missing" not found' }));
  });

  it('rejects a PUT with a stale resourceVersion with 409 Conflict, and accepts the current one', () => {
    const cluster = newCluster();
    const configmaps = cluster.resource('', 'configmaps');
    const created = cluster.create(configmaps, 'ns', { metadata: { name: 'c' }, data: { v: '1' } });
    const updated = cluster.update(configmaps, 'ns', 'c', { ...created, data: { v: '2' } });
    expect(meta(updated).resourceVersion).not.toBe(meta(created).resourceVersion);
    expect(meta(updated).uid).toBe(meta(created).uid);
    expect(() => cluster.update(configmaps, 'ns', 'c', { ...created, data: { v: '3' } })).toThrow(
      expect.objectContaining({
        code: 409,
        reason: 'Conflict',
        message: expect.stringContaining('the object has been modified'),
      }),
    );
    expect(() => cluster.update(configmaps, 'ns', 'missing', { metadata: { name: 'missing' } })).toThrow(
      expect.objectContaining({ code: 404 }),
    );
  });

  it('folds Secret stringData into base64 data and validates data as a real server does', () => {
    const cluster = newCluster();
    const secrets = cluster.resource('', 'secrets');
    const created = cluster.create(secrets, 'ns', {
      metadata: { name: 's' },
      stringData: { config: 'héllo' },
    });
    expect(created['stringData']).toBeUndefined();
    expect(
      Buffer.from(String((created['data'] as Record<string, string>)['config']), 'base64').toString(),
    ).toBe('héllo');
    expect(() =>
      cluster.create(secrets, 'ns', { metadata: { name: 'bad' }, data: { k: 'not base64!' } }),
    ).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => cluster.create(secrets, 'ns', { metadata: { name: 'Bad_Name' } })).toThrow(
      expect.objectContaining({
        code: 422,
        reason: 'Invalid',
        message: expect.stringContaining('metadata.name'),
      }),
    );
    const immutable = cluster.create(secrets, 'ns', {
      metadata: { name: 'frozen' },
      immutable: true,
      data: { k: 'dg==' },
    });
    expect(() => cluster.update(secrets, 'ns', 'frozen', { ...immutable, data: { k: 'eA==' } })).toThrow(
      expect.objectContaining({ code: 422 }),
    );
    expect(() => cluster.update(secrets, 'ns', 's', { ...created, type: 'kubernetes.io/tls' })).toThrow(
      expect.objectContaining({ code: 422 }),
    );
  });

  it('checks pod service accounts on admission and gives each namespace a default one', () => {
    const cluster = newCluster();
    const pods = cluster.resource('', 'pods');
    const pod = {
      metadata: { name: 'p' },
      spec: { serviceAccountName: 'ingestion', containers: [{ name: 'main', image: 'i' }] },
    };
    expect(() => cluster.create(pods, 'ns', pod)).toThrow(
      expect.objectContaining({
        code: 403,
        message: expect.stringContaining('error looking up service account ns/ingestion'),
      }),
    );
    expect(cluster.get(cluster.resource('', 'serviceaccounts'), 'ns', 'default')).toBeDefined();
    expect(() => cluster.create(pods, 'ns', { metadata: { name: 'q' }, spec: { containers: [] } })).toThrow(
      expect.objectContaining({ code: 422 }),
    );
  });

  it('pages lists with limit and continue, with remainingItemCount', () => {
    const cluster = newCluster();
    const configmaps = cluster.resource('', 'configmaps');
    for (let i = 0; i < 5; i++)
      cluster.create(configmaps, 'ns', { metadata: { name: `c${i}`, labels: { i: String(i % 2) } } });
    const first = cluster.store.list(configmaps, { namespace: 'ns', limit: 2 });
    expect(first.items.map((o) => meta(o).name)).toEqual(['c0', 'c1']);
    expect(first.remainingItemCount).toBe(3);
    const second = cluster.store.list(configmaps, {
      namespace: 'ns',
      limit: 2,
      continueToken: first.continueToken,
    });
    expect(second.items.map((o) => meta(o).name)).toEqual(['c2', 'c3']);
    const third = cluster.store.list(configmaps, {
      namespace: 'ns',
      limit: 2,
      continueToken: second.continueToken,
    });
    expect(third.items.map((o) => meta(o).name)).toEqual(['c4']);
    expect(third.continueToken).toBeUndefined();
    expect(() => cluster.store.list(configmaps, { continueToken: 'garbage' })).toThrow(
      expect.objectContaining({ code: 400 }),
    );
  });

  it('replays the events after a resourceVersion in order', () => {
    const cluster = newCluster();
    const configmaps = cluster.resource('', 'configmaps');
    const created = cluster.create(configmaps, 'ns', { metadata: { name: 'c' } });
    cluster.update(configmaps, 'ns', 'c', { ...created, data: { a: 'b' } });
    cluster.delete(configmaps, 'ns', 'c');
    const events = cluster.store
      .eventsSince(Number(meta(created).resourceVersion) - 1)
      .filter((e) => e.definition === configmaps);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('answers a watch from a resourceVersion older than the kept history with 410 Expired', () => {
    const store = new ObjectStore(builtinResources(), { historyLimit: 3 });
    const configmaps = store.definitionFor('', 'configmaps');
    if (!configmaps) throw new Error('configmaps not served');
    for (let i = 0; i < 6; i++) store.create(configmaps, 'ns', { metadata: { name: `c${i}` } });
    expect(() => store.eventsSince(1)).toThrow(
      expect.objectContaining({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (3)' }),
    );
    expect(store.eventsSince(3).map((e) => e.resourceVersion)).toEqual([4, 5, 6]);
  });

  it('garbage-collects dependents: Background after the owner, Foreground first, Orphan keeps them', async () => {
    const cluster = newCluster();
    const configmaps = cluster.resource('', 'configmaps');
    const secrets = cluster.resource('', 'secrets');
    const owned = (owner: KubeObject, name: string): KubeObject =>
      cluster.create(secrets, 'ns', {
        metadata: {
          name,
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: String(meta(owner).name),
              uid: String(meta(owner).uid),
            },
          ],
        },
      });

    const background = cluster.create(configmaps, 'ns', { metadata: { name: 'bg' } });
    owned(background, 'bg-secret');
    cluster.delete(configmaps, 'ns', 'bg', { propagationPolicy: 'Background' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(cluster.get(secrets, 'ns', 'bg-secret')).toBeUndefined();

    const foreground = cluster.create(configmaps, 'ns', { metadata: { name: 'fg' } });
    owned(foreground, 'fg-secret');
    cluster.delete(configmaps, 'ns', 'fg', { propagationPolicy: 'Foreground' });
    expect(cluster.get(secrets, 'ns', 'fg-secret')).toBeUndefined();

    const orphaning = cluster.create(configmaps, 'ns', { metadata: { name: 'or' } });
    owned(orphaning, 'or-secret');
    cluster.delete(configmaps, 'ns', 'or', { propagationPolicy: 'Orphan' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(meta(cluster.get(secrets, 'ns', 'or-secret')).ownerReferences).toBeUndefined();
  });

  it('deletes everything in a namespace with it', () => {
    const cluster = newCluster();
    cluster.create(cluster.resource('', 'secrets'), 'ns', { metadata: { name: 's' } });
    cluster.delete(cluster.resource('', 'namespaces'), undefined, 'ns');
    expect(cluster.get(cluster.resource('', 'secrets'), 'ns', 's')).toBeUndefined();
    expect(() => cluster.delete(cluster.resource('', 'namespaces'), undefined, 'ns')).toThrow(
      expect.objectContaining({ code: 404 }),
    );
  });
});
