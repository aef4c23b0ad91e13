// An in-memory stand-in for the cluster port, for the registry-credential unit tests and the bench. It
// keeps uid and resourceVersion like an API server (409 on a stale resourceVersion or an existing name,
// 404 for an absent namespace, 403 for namespaces marked forbidden) and can add latency per call. It
// proves the refresh's logic, not the Kubernetes adapter or real RBAC (the contract tests cover those).
import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, RESOURCES } from '@hybrid-runner/core';
import type { ClusterPort, KubeObject, ListOptions, ListPage, ResourceType } from '@hybrid-runner/core';

export interface EcrFakeClusterOptions {
  namespaces?: string[];
  /** Namespaces where every write answers 403. */
  forbiddenNamespaces?: string[];
  /** Delay of every call, in milliseconds (simulates API latency). */
  latencyMs?: number;
  /** Namespace listing answers 403. */
  forbidNamespaceList?: boolean;
}

export interface EcrFakeCluster extends ClusterPort {
  calls: Array<{ verb: string; plural: string; namespace?: string; name?: string }>;
  objects: Map<string, KubeObject>;
  /** Makes the next `count` writes of `verb` answer 409 (as if another writer got there first). */
  conflictNext(verb: 'create' | 'replace' | 'mergePatch', count: number): void;
  addNamespace(name: string, options?: { terminating?: boolean }): void;
  /** Makes the next `count` list calls that carry a continue token answer 410 (as a ConflictError, like the adapter). */
  expireContinueTokens(count: number): void;
  inFlight: { current: number; max: number };
}

const key = (type: ResourceType, namespace: string | undefined, name: string) =>
  `${type.plural}/${namespace ?? ''}/${name}`;

export function createEcrFakeCluster(options: EcrFakeClusterOptions = {}): EcrFakeCluster {
  const objects = new Map<string, KubeObject>();
  const forbidden = new Set(options.forbiddenNamespaces ?? []);
  const pendingConflicts = { create: 0, replace: 0, mergePatch: 0 };
  let expiringContinueTokens = 0;
  const calls: EcrFakeCluster['calls'] = [];
  const inFlight = { current: 0, max: 0 };
  let resourceVersion = 1000;

  const addNamespace = (name: string, extra: { terminating?: boolean } = {}) => {
    objects.set(key(RESOURCES.namespace, undefined, name), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: randomUUID(), resourceVersion: String(++resourceVersion) },
      status: { phase: extra.terminating ? 'Terminating' : 'Active' },
    });
  };
  for (const name of options.namespaces ?? []) addNamespace(name);

  async function call<T>(
    verb: string,
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    body: () => T,
  ): Promise<T> {
    calls.push({ verb, plural: type.plural, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });
    inFlight.current++;
    inFlight.max = Math.max(inFlight.max, inFlight.current);
    try {
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      if (namespace && forbidden.has(namespace)) throw new ForbiddenError(verb, type.plural, namespace);
      if (namespace && !objects.has(key(RESOURCES.namespace, undefined, namespace))) {
        throw new NotFoundError(`namespaces "${namespace}" not found`);
      }
      return structuredClone(body());
    } finally {
      inFlight.current--;
    }
  }

  const stamp = (object: KubeObject, previous?: KubeObject): KubeObject => ({
    ...structuredClone(object),
    metadata: {
      ...structuredClone(object.metadata),
      uid: previous?.metadata.uid ?? randomUUID(),
      resourceVersion: String(++resourceVersion),
      creationTimestamp: previous?.metadata.creationTimestamp ?? new Date().toISOString(),
    },
  });

  const takeConflict = (verb: keyof typeof pendingConflicts) => {
    if (pendingConflicts[verb] > 0) {
      pendingConflicts[verb]--;
      return true;
    }
    return false;
  };

  const cluster: EcrFakeCluster = {
    calls,
    objects,
    inFlight,
    addNamespace,
    expireContinueTokens(count) {
      expiringContinueTokens += count;
    },
    conflictNext(verb, count) {
      pendingConflicts[verb] += count;
    },
    create: (type, namespace, object) =>
      call('create', type, namespace, object.metadata.name, () => {
        const k = key(type, namespace, object.metadata.name!);
        if (takeConflict('create') || objects.has(k))
          throw new ConflictError(`${type.plural} "${object.metadata.name}" already exists`);
        const stored = stamp({ ...object, metadata: { ...object.metadata, namespace } });
        objects.set(k, stored);
        return stored as typeof object;
      }),
    replace: (type, namespace, object) =>
      call('update', type, namespace, object.metadata.name, () => {
        const k = key(type, namespace, object.metadata.name!);
        const previous = objects.get(k);
        if (!previous) throw new NotFoundError(`${type.plural} "${object.metadata.name}" not found`);
        if (
          takeConflict('replace') ||
          (object.metadata.resourceVersion &&
            object.metadata.resourceVersion !== previous.metadata.resourceVersion)
        ) {
          throw new ConflictError(
            `the object has been modified; please apply your changes to the latest version`,
          );
        }
        const stored = stamp({ ...object, metadata: { ...object.metadata, namespace } }, previous);
        objects.set(k, stored);
        return stored as typeof object;
      }),
    mergePatch: (type, namespace, name, patch) =>
      call('patch', type, namespace, name, () => {
        const k = key(type, namespace, name);
        const previous = objects.get(k);
        if (!previous) throw new NotFoundError(`${type.plural} "${name}" not found`);
        const wanted = (patch.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (takeConflict('mergePatch') || (wanted && wanted !== previous.metadata.resourceVersion)) {
          throw new ConflictError(
            'the object has been modified; please apply your changes to the latest version',
          );
        }
        const merged = mergePatchObject(previous, patch) as KubeObject;
        const stored = stamp(merged, previous);
        objects.set(k, stored);
        return stored as never;
      }),
    delete: (type, namespace, name) =>
      call('delete', type, namespace, name, () => objects.delete(key(type, namespace, name))),
    get: (type, namespace, name) =>
      call('get', type, namespace, name, () => objects.get(key(type, namespace, name)) as never),
    getMetadata: (type, namespace, name) =>
      call('getMetadata', type, namespace, name, () => objects.get(key(type, namespace, name))?.metadata),
    list: <T extends KubeObject>(
      type: ResourceType,
      namespace: string | undefined,
      listOptions?: ListOptions,
    ) =>
      call('list', type, namespace, undefined, (): ListPage<T> => {
        if (type.plural === 'namespaces' && options.forbidNamespaceList) {
          throw new ForbiddenError('list', 'namespaces', undefined);
        }
        if (listOptions?.continue && expiringContinueTokens > 0) {
          expiringContinueTokens--;
          throw new ConflictError(
            `The list of ${type.plural} expired while paging; list again from the start`,
          );
        }
        const prefix = `${type.plural}/${namespace ?? ''}/`;
        const all = [...objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v as T);
        const start = listOptions?.continue ? Number(listOptions.continue) : 0;
        const end = listOptions?.limit ? start + listOptions.limit : all.length;
        return { items: all.slice(start, end), ...(end < all.length ? { continue: String(end) } : {}) };
      }),
    podLogs() {
      throw new Error('podLogs is not part of the ECR fake cluster');
    },
    serverVersion: async () => ({ gitVersion: 'v1.33.0-ecr-fake' }),
    hasResource: async () => true,
  };
  return cluster;
}

/** RFC 7386 JSON merge patch. */
function mergePatchObject(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatchObject(result[field], value);
  }
  return result;
}
