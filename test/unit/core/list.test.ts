import { describe, expect, it } from 'vitest';
import { ConflictError, LIST_RESTARTS, NotFoundError, RESOURCES, listAll } from '@hybrid-runner/core';
import { FakeCluster } from '../../support/fake-cluster.ts';

const NAMESPACE = 'collate';

function clusterWithPods(count: number): FakeCluster {
  const cluster = new FakeCluster();
  for (let i = 0; i < count; i++) {
    cluster.seed(RESOURCES.pod, NAMESPACE, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${String(i).padStart(2, '0')}`, labels: { app: 'x' } },
    });
  }
  return cluster;
}

/** Fails the list calls whose 1-based numbers are in `calls` with `error`, as an API server answering 410. */
function failListCalls(cluster: FakeCluster, calls: (n: number) => boolean, error: () => unknown): void {
  let listed = 0;
  cluster.faults.push((call) => {
    if (call.verb !== 'list') return undefined;
    listed++;
    return calls(listed) ? error() : undefined;
  });
}

const expired = () => new ConflictError('The list of pods expired while paging; list again from the start');
const names = (items: Array<{ metadata: { name?: string } }>) => items.map((item) => item.metadata.name);

describe('listAll', () => {
  it('follows continue tokens to one list', async () => {
    const cluster = clusterWithPods(7);
    const pods = await listAll(cluster, RESOURCES.pod, NAMESPACE, { labelSelector: 'app=x', pageSize: 3 });
    expect(pods).toHaveLength(7);
    expect(cluster.callsOf('list')).toHaveLength(3);
  });

  it('starts over from the first page when a continue token expired, without duplicates', async () => {
    const cluster = clusterWithPods(7);
    failListCalls(cluster, (n) => n === 2, expired);
    const pods = await listAll(cluster, RESOURCES.pod, NAMESPACE, { pageSize: 3 });
    expect(names(pods)).toEqual(names(await listAll(clusterWithPods(7), RESOURCES.pod, NAMESPACE)));
    // page 1, the expired page 2, then pages 1-3 again.
    expect(cluster.callsOf('list')).toHaveLength(5);
  });

  it(`gives up after ${LIST_RESTARTS} restarts and reports the expiry`, async () => {
    const cluster = clusterWithPods(7);
    // Every continued page expires: even-numbered calls are the second page of each attempt.
    failListCalls(cluster, (n) => n % 2 === 0, expired);
    await expect(listAll(cluster, RESOURCES.pod, NAMESPACE, { pageSize: 3 })).rejects.toThrow(
      /expired while paging/,
    );
    expect(cluster.callsOf('list')).toHaveLength(2 * (LIST_RESTARTS + 1));
  });

  it('does not retry a conflict on the first page (no token to expire) or other errors', async () => {
    const first = clusterWithPods(7);
    failListCalls(first, (n) => n === 1, expired);
    await expect(listAll(first, RESOURCES.pod, NAMESPACE, { pageSize: 3 })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(first.callsOf('list')).toHaveLength(1);

    const other = clusterWithPods(7);
    failListCalls(
      other,
      (n) => n === 2,
      () => new NotFoundError('namespace collate was not found'),
    );
    await expect(listAll(other, RESOURCES.pod, NAMESPACE, { pageSize: 3 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(other.callsOf('list')).toHaveLength(2);
  });
});
