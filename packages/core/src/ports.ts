// The ports core needs from the outside world. Adapters (packages/aws, packages/kubernetes) implement
// them; tests use in-memory fakes or the Kubernetes emulator. Nothing here may import an SDK.

/** Minimal Kubernetes object shape: enough for core to build, label and read objects. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** What the cluster port needs to address a resource type over the Kubernetes REST API. */
export interface ResourceType {
  /** API group, '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in REST paths, e.g. `workflows`. */
  plural: string;
  namespaced: boolean;
}

export const RESOURCES = {
  namespace: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  secret: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  serviceAccount: {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
  },
  pod: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  event: { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  workflow: {
    group: 'argoproj.io',
    version: 'v1alpha1',
    kind: 'Workflow',
    plural: 'workflows',
    namespaced: true,
  },
  cronWorkflow: {
    group: 'argoproj.io',
    version: 'v1alpha1',
    kind: 'CronWorkflow',
    plural: 'cronworkflows',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the adapter passes it through as `limit`. */
  limit?: number;
  /** Continue token from a previous page. */
  continue?: string;
}

export interface ListPage<T extends KubeObject = KubeObject> {
  items: T[];
  /** Present when more pages follow. */
  continue?: string;
  resourceVersion?: string;
}

export interface PodLogOptions {
  /** Container to read; core always asks for `main`. */
  container: string;
  /** Upper bound on bytes the server returns (`limitBytes`). */
  limitBytes?: number;
  /** Prefix every line with its RFC3339Nano timestamp and a space (`timestamps=true`). */
  timestamps?: boolean;
  /** Only lines written at or after this RFC3339 time (`sinceTime`; the kubelet gets it in whole seconds). */
  sinceTime?: string;
}

/** Part of an archived object, with the whole object's size. */
export interface ArchivedObject {
  size: number;
  body: AsyncIterable<Uint8Array>;
}

/**
 * Archived container logs (Argo's `archiveLogs` in its artifact repository), read by byte range. Adapters
 * retry transient faults themselves and throw ClusterUnavailableError-like RunnerErrors for the rest.
 */
export interface LogArchive {
  /**
   * Bytes `start` to `end` (exclusive; the object's end without it, or past it) of the object at `key`;
   * `undefined` when there is no such object. A `start` at or past the end gives an empty body.
   */
  read(key: string, range: { start: number; end?: number }): Promise<ArchivedObject | undefined>;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/**
 * The cluster port. Implementations retry transient faults themselves and throw the errors of
 * `errors.ts` (NotFoundError, ConflictError, ForbiddenError, ClusterUnavailableError, InvalidObjectError).
 */
export interface ClusterPort {
  create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, object: T): Promise<T>;
  /** Full replace (PUT). `object.metadata.resourceVersion` makes it an optimistic-concurrency update. */
  replace<T extends KubeObject>(type: ResourceType, namespace: string | undefined, object: T): Promise<T>;
  /** JSON merge patch (RFC 7386), sent as `application/merge-patch+json`. */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<T>;
  /** Resolves `false` when the object did not exist (deleting is idempotent). */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options?: { propagationPolicy?: PropagationPolicy },
  ): Promise<boolean>;
  /** Resolves `undefined` when the object does not exist. */
  get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined>;
  /**
   * The object's metadata only (the API server's PartialObjectMetadata: no spec, no Secret data), for
   * existence checks and annotations; `undefined` when the object does not exist. RBAC treats it as a get.
   */
  getMetadata(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<ObjectMeta | undefined>;
  list<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    options?: ListOptions,
  ): Promise<ListPage<T>>;
  /** Streams a container's log without buffering it whole. */
  podLogs(namespace: string, pod: string, options: PodLogOptions): AsyncIterable<Uint8Array>;
  /** Server version (`/version`), for getServiceStatus. */
  serverVersion(): Promise<{ gitVersion: string }>;
  /** Whether the API server serves `group/version` `plural` (for example Argo's CRDs). */
  hasResource(group: string, version: string, plural: string): Promise<boolean>;
}

/** One open bridge connection, as stored by the connection store. */
export interface ConnectionRecord {
  connectionId: string;
  agentId: string;
  /** Epoch milliseconds. */
  connectedAt: number;
  sourceIp?: string;
  /** Epoch seconds after which the store may forget the record (DynamoDB TTL). */
  ttl: number;
}

export interface ConnectionStore {
  put(record: ConnectionRecord): Promise<void>;
  remove(connectionId: string): Promise<void>;
  get(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** Pages through open connections. */
  list(cursor?: string): Promise<{ items: ConnectionRecord[]; cursor?: string }>;
}

/** Sends one message (already a JSON-serialisable object) to one connection. */
export interface Sender {
  /** `gone` when the connection no longer exists (410); other failures throw. */
  send(connectionId: string, message: unknown): Promise<'sent' | 'gone'>;
}

/** Looks up secrets by name without ever reading their values. */
export interface SecretStore {
  exists(name: string): Promise<boolean>;
}

export interface RegistryCredentials {
  username: string;
  password: string;
  /** `https://<account>.dkr.ecr.<region>.amazonaws.com` */
  proxyEndpoint: string;
  expiresAt: Date;
}

export interface RegistryAuth {
  /** Logs in to the registry host (`<account>.dkr.ecr.<region>.amazonaws.com`). */
  login(registryHost: string): Promise<RegistryCredentials>;
}

/** Starts a registry refresh without waiting for it (the heartbeat asks for one when namespaces are new). */
export interface RegistryRefreshStarter {
  start(request: { newNamespaces: string[] }): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A run id for a new pipeline run (UUID). */
  runId(): string;
  /** A correlation id for errors and logs. */
  correlationId(): string;
}

export const systemClock: Clock = { now: () => new Date() };

export const randomIds: Ids = {
  runId: () => crypto.randomUUID(),
  correlationId: () => crypto.randomUUID(),
};
