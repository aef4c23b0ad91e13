// Core's ClusterPort on the Kubernetes REST API. Every call goes through KubernetesTransport (TLS and
// auth from the loaded config, timeouts, retries, error mapping); this file only knows the REST shapes.
import { ClusterUnavailableError, NotFoundError } from '@hybrid-runner/core';
import type {
  ClusterPort,
  KubeObject,
  ListOptions,
  ListPage,
  ObjectMeta,
  PodLogOptions,
  PropagationPolicy,
  ResourceType,
} from '@hybrid-runner/core';
import { RESOURCES } from '@hybrid-runner/core';
import { loadClusterConfig } from './cluster-config.ts';
import type { ClusterConfig, ClusterSource } from './cluster-config.ts';
import { errorForStatus, parseStatus } from './errors.ts';
import { KubernetesTransport } from './transport.ts';
import type { KubernetesRequest, TransportOptions } from './transport.ts';

export const MERGE_PATCH_CONTENT_TYPE = 'application/merge-patch+json';
/** Asks the API server for metadata only (what kubectl uses to avoid fetching Secret data). */
export const PARTIAL_METADATA_ACCEPT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** `workflows.argoproj.io`, `secrets`: the resource name RBAC rules and error messages use. */
export function rbacResourceName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

function apiBase(type: ResourceType): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

function collectionPath(
  type: ResourceType,
  namespace: string | undefined,
  allowAllNamespaces = false,
): string {
  if (!type.namespaced) return `${apiBase(type)}/${type.plural}`;
  if (!namespace) {
    if (allowAllNamespaces) return `${apiBase(type)}/${type.plural}`;
    throw new Error(`${type.kind} is namespaced: pass the namespace.`);
  }
  return `${apiBase(type)}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`;
}

function objectPath(type: ResourceType, namespace: string | undefined, name: string): string {
  if (!name) throw new Error(`A ${type.kind} call needs the object's name.`);
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`;
}

/** Lists of built-in types leave `apiVersion`/`kind` off their items; core expects them. */
function withTypeMeta<T extends KubeObject>(type: ResourceType, object: T): T {
  if (object.apiVersion && object.kind) return object;
  return {
    ...object,
    apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
    kind: type.kind,
  };
}

/** Whether `existing` carries every label and annotation `wanted` asked for (ours, after a retried create). */
function carriesIntent(existing: KubeObject, wanted: KubeObject): boolean {
  const subset = (mine: Record<string, string> | undefined, theirs: Record<string, string> | undefined) =>
    Object.entries(mine ?? {}).every(([key, value]) => theirs?.[key] === value);
  return (
    subset(wanted.metadata.labels, existing.metadata.labels) &&
    subset(wanted.metadata.annotations, existing.metadata.annotations)
  );
}

export type KubernetesClusterOptions = TransportOptions;

export class KubernetesCluster implements ClusterPort {
  readonly transport: KubernetesTransport;

  constructor(config: ClusterConfig, options: KubernetesClusterOptions = {}) {
    this.transport = new KubernetesTransport(config, options);
  }

  /** Loads the cluster configuration (EKS or kubeconfig) and returns an adapter on it. */
  static async connect(
    source: ClusterSource,
    options: KubernetesClusterOptions = {},
  ): Promise<KubernetesCluster> {
    return new KubernetesCluster(await loadClusterConfig(source), options);
  }

  get config(): ClusterConfig {
    return this.transport.config;
  }

  #call(
    verb: string,
    type: ResourceType,
    namespace: string | undefined,
    name?: string,
  ): KubernetesRequest['call'] {
    return {
      verb,
      resource: rbacResourceName(type),
      ...(type.namespaced && namespace ? { namespace } : {}),
      ...(name ? { name } : {}),
    };
  }

  async create<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    object: T,
  ): Promise<T> {
    const name = object.metadata.name;
    const call = this.#call('create', type, namespace, name);
    const response = await this.transport.send(
      {
        method: 'POST',
        path: collectionPath(type, namespace),
        body: object,
        // A named create that failed midway is repeated and reconciled below; a generateName one is not.
        retry: name ? 'create' : 'once',
        call,
      },
      [409],
    );
    const text = await response.context.body.text();
    if (response.status === 409) {
      const status = parseStatus(text);
      if (response.retried && name && status?.reason === 'AlreadyExists') {
        const existing = await this.get<T>(type, namespace, name);
        if (existing && carriesIntent(existing, object)) return existing;
      }
      throw errorForStatus(409, text, { ...call, cluster: this.config.description });
    }
    return withTypeMeta(type, JSON.parse(text) as T);
  }

  async replace<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    object: T,
  ): Promise<T> {
    const name = object.metadata.name ?? '';
    const { value } = await this.transport.json<T>({
      method: 'PUT',
      path: objectPath(type, namespace, name),
      body: object,
      // With resourceVersion a repeat of an applied PUT gets 409 (the caller re-reads); without, it is an overwrite.
      retry: 'idempotent',
      call: this.#call('update', type, namespace, name),
    });
    return withTypeMeta(type, value as T);
  }

  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<T> {
    const { value } = await this.transport.json<T>({
      method: 'PATCH',
      path: objectPath(type, namespace, name),
      body: patch,
      contentType: MERGE_PATCH_CONTENT_TYPE,
      retry: 'idempotent',
      call: this.#call('patch', type, namespace, name),
    });
    return withTypeMeta(type, value as T);
  }

  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: { propagationPolicy?: PropagationPolicy } = {},
  ): Promise<boolean> {
    const response = await this.transport.send(
      {
        method: 'DELETE',
        path: objectPath(type, namespace, name),
        query: { propagationPolicy: options.propagationPolicy },
        retry: 'idempotent',
        call: this.#call('delete', type, namespace, name),
      },
      [404],
    );
    await response.context.body.text();
    // A 404 on a repeat most likely means our first attempt deleted it.
    return response.status !== 404 || response.retried;
  }

  async get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    const { value } = await this.transport.json<T>(
      {
        method: 'GET',
        path: objectPath(type, namespace, name),
        retry: 'idempotent',
        call: this.#call('get', type, namespace, name),
      },
      [404],
    );
    return value === undefined ? undefined : withTypeMeta(type, value);
  }

  /** The object's metadata only (no spec, no Secret data); undefined when it does not exist. */
  async getMetadata(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<ObjectMeta | undefined> {
    const { value } = await this.transport.json<{ metadata?: ObjectMeta }>(
      {
        method: 'GET',
        path: objectPath(type, namespace, name),
        accept: PARTIAL_METADATA_ACCEPT,
        retry: 'idempotent',
        call: this.#call('get', type, namespace, name),
      },
      [404],
    );
    return value === undefined ? undefined : (value.metadata ?? {});
  }

  async list<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    const { value } = await this.transport.json<{
      items?: T[];
      metadata?: { continue?: string; resourceVersion?: string };
    }>({
      method: 'GET',
      path: collectionPath(type, namespace, true),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
      },
      retry: 'idempotent',
      call: this.#call('list', type, namespace),
    });
    const items = (value?.items ?? []).map((item) => withTypeMeta(type, item));
    return {
      items,
      ...(value?.metadata?.continue ? { continue: value.metadata.continue } : {}),
      ...(value?.metadata?.resourceVersion ? { resourceVersion: value.metadata.resourceVersion } : {}),
    };
  }

  async *podLogs(namespace: string, pod: string, options: PodLogOptions): AsyncIterable<Uint8Array> {
    const call = this.#call('get', { ...RESOURCES.pod, plural: 'pods/log' }, namespace, pod);
    const response = await this.transport.send(
      {
        method: 'GET',
        path: `${objectPath(RESOURCES.pod, namespace, pod)}/log`,
        query: {
          container: options.container,
          limitBytes: options.limitBytes,
          ...(options.timestamps ? { timestamps: 'true' } : {}),
          ...(options.sinceTime ? { sinceTime: options.sinceTime } : {}),
        },
        accept: '*/*',
        stream: true,
        retry: 'idempotent',
        call,
      },
      [400],
    );
    if (response.status === 400) {
      // The API server answers 400 while the container has not started (or no longer exists).
      const status = parseStatus(await response.context.body.text());
      throw new NotFoundError(
        `No log yet for container "${options.container}" of pod ${pod} in namespace ${namespace}` +
          `${status?.message ? `: ${status.message}` : ''}. Try again once the pod runs.`,
        { cause: status },
      );
    }
    const stream = response.context.body.stream();
    if (!stream) return;
    const reader = stream.getReader();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new ClusterUnavailableError(
            `The log stream of pod ${pod} in namespace ${namespace} broke off: fetch the logs again.`,
            { cause: error },
          );
        }
        if (chunk.done) return;
        yield chunk.value;
      }
    } finally {
      // Also runs when the consumer stops early: closes the connection instead of draining the log.
      await reader.cancel().catch(() => undefined);
      response.abort();
    }
  }

  async serverVersion(): Promise<{ gitVersion: string }> {
    const { value } = await this.transport.json<{ gitVersion?: string }>({
      method: 'GET',
      path: '/version',
      retry: 'idempotent',
      call: { verb: 'get', resource: 'the /version endpoint' },
    });
    if (!value?.gitVersion) {
      throw new ClusterUnavailableError(
        `The API server of ${this.config.description} reported no version: check that the endpoint is a Kubernetes API server.`,
      );
    }
    return { gitVersion: value.gitVersion };
  }

  async hasResource(group: string, version: string, plural: string): Promise<boolean> {
    const { value } = await this.transport.json<{ resources?: Array<{ name?: string }> }>(
      {
        method: 'GET',
        path: group ? `/apis/${group}/${version}` : `/api/${version}`,
        retry: 'idempotent',
        call: { verb: 'get', resource: `API discovery for ${group || 'core'}/${version}` },
      },
      [404],
    );
    return (value?.resources ?? []).some((resource) => resource.name === plural);
  }

  /** Closes pooled connections (tests, the CLI); Lambdas keep them for the next invocation. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
