// The FakeCluster's own behaviour, so that what the operation tests conclude from it holds.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, RESOURCES } from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';
import { FakeCluster, applyMergePatch, matchesSelector } from '../../../support/fake-cluster.ts';

const secret = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, labels },
});

describe('FakeCluster', () => {
  it('counts concurrent calls as one round trip and chained calls as several', async () => {
    const cluster = new FakeCluster();
    await Promise.all([cluster.get(RESOURCES.secret, 'ns', 'a'), cluster.get(RESOURCES.secret, 'ns', 'b')]);
    expect(cluster.criticalPath()).toBe(1);
    await cluster.create(RESOURCES.secret, 'ns', secret('a'));
    await cluster.get(RESOURCES.secret, 'ns', 'a');
    expect(cluster.criticalPath()).toBe(3);
    cluster.resetCalls();
    expect(cluster.criticalPath()).toBe(0);
  });

  it('behaves like the API server on conflicts, missing objects, merge patches and owner references', async () => {
    const cluster = new FakeCluster();
    const created = await cluster.create(RESOURCES.secret, 'ns', secret('a'));
    await expect(cluster.create(RESOURCES.secret, 'ns', secret('a'))).rejects.toThrow(ConflictError);
    await expect(cluster.replace(RESOURCES.secret, 'ns', secret('missing'))).rejects.toThrow(NotFoundError);
    await expect(
      cluster.replace(RESOURCES.secret, 'ns', {
        ...secret('a'),
        metadata: { name: 'a', resourceVersion: '1' },
      }),
    ).rejects.toThrow(ConflictError);
    await cluster.create(RESOURCES.pod, 'ns', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Secret', name: 'a', uid: created.metadata.uid as string },
        ],
      },
    });
    expect(await cluster.delete(RESOURCES.secret, 'ns', 'a')).toBe(true);
    expect(cluster.all(RESOURCES.pod)).toEqual([]);
    expect(await cluster.delete(RESOURCES.secret, 'ns', 'a')).toBe(false);
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      f: [1],
    });
  });

  it('selects by labels and pages with continue tokens', async () => {
    expect(matchesSelector({ a: '1', b: '2' }, 'a=1,b==2')).toBe(true);
    expect(matchesSelector({ a: '1' }, 'a!=1')).toBe(false);
    expect(matchesSelector({ a: '1' }, 'a,!b')).toBe(true);
    const cluster = new FakeCluster();
    for (let i = 0; i < 7; i++)
      cluster.seed(RESOURCES.secret, 'ns', secret(`s${i}`, { keep: i % 2 ? 'yes' : 'no' }));
    const first = await cluster.list(RESOURCES.secret, 'ns', { labelSelector: 'keep=yes', limit: 2 });
    expect(first.items.map((s) => s.metadata.name)).toEqual(['s1', 's3']);
    const second = await cluster.list(RESOURCES.secret, 'ns', {
      labelSelector: 'keep=yes',
      limit: 2,
      continue: first.continue as string,
    });
    expect(second.items.map((s) => s.metadata.name)).toEqual(['s5']);
    expect(second.continue).toBeUndefined();
  });
});
