// FakeCluster: an in-memory stand-in for the ClusterPort, for unit tests of core operations.
// It proves the operations' logic (which objects, which calls, in which order, rollback, pagination) and
// counts sequential round trips; it does NOT prove API-server behaviour (schema validation, RBAC, admission,
// a real Argo controller): the contract tests against the Kubernetes emulator do that.
//
// Round trips: each call gets a depth = 1 + the largest depth of the calls that had completed when it
// started. Calls issued together (Promise.all) share a depth; the largest depth is the critical path.
import { ClusterUnavailableError, ConflictError, NotFoundError } from '@hybrid-runner/core';
import type {
  ClusterPort,
  KubeObject,
  ListOptions,
  ListPage,
  ObjectMeta,
  PodLogOptions,
  ResourceType,
} from '@hybrid-runner/core';

export type Verb =
  | 'create'
  | 'replace'
  | 'mergePatch'
  | 'delete'
  | 'get'
  | 'getMetadata'
  | 'list'
  | 'podLogs'
  | 'serverVersion'
  | 'hasResource';

export interface RecordedCall {
  verb: Verb;
  plural?: string;
  namespace?: string;
  name?: string;
  depth: number;
}

/** Decides whether a call fails: return an error to throw it, undefined to let the call through. */
export type FaultRule = (call: {
  verb: Verb;
  plural?: string;
  name?: string;
  object?: KubeObject;
}) => unknown;

function key(plural: string, namespace: string | undefined, name: string): string {
  return `${plural}/${namespace ?? ''}/${name}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = applyMergePatch(result[field], value);
  }
  return result;
}

/** Equality-based label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`), comma-separated, all must hold. */
export function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: string | undefined,
): boolean {
  if (!selector) return true;
  const own = labels ?? {};
  return selector.split(',').every((term) => {
    const clause = term.trim();
    if (clause === '') return true;
    const notEqual = clause.match(/^([^!=]+)!=(.*)$/);
    if (notEqual) return own[notEqual[1]!.trim()] !== notEqual[2]!.trim();
    const equal = clause.match(/^([^!=]+)==?(.*)$/);
    if (equal) return own[equal[1]!.trim()] === equal[2]!.trim();
    if (clause.startsWith('!')) return !(clause.slice(1).trim() in own);
    return clause in own;
  });
}

/** Lines per second of the fake's log timestamps: several, so that seeking needs a line offset. */
const FAKE_LINES_PER_SECOND = 3;

/**
 * The log as the kubelet answers `timestamps=true` (and `sinceTime`, in whole seconds): each line prefixed
 * with an RFC3339Nano time and a space; the fake's line n was written in second n / FAKE_LINES_PER_SECOND.
 */
function kubeletTimestamped(log: Uint8Array, sinceTime?: string): Uint8Array {
  const since = sinceTime === undefined ? 0 : Math.floor(Date.parse(sinceTime) / 1000);
  const base = Date.parse('2026-11-28T12:00:00Z') / 1000;
  const out: Buffer[] = [];
  let lineStart = 0;
  for (let n = 0; lineStart < log.length; n++) {
    const newline = log.indexOf(0x0a, lineStart);
    const end = newline === -1 ? log.length : newline + 1;
    const second = base + Math.floor(n / FAKE_LINES_PER_SECOND);
    if (second >= since) {
      const nanos = String(((n % FAKE_LINES_PER_SECOND) + 1) * 1000).padStart(9, '0');
      const time = new Date(second * 1000).toISOString().replace('.000Z', `.${nanos}Z`);
      out.push(Buffer.from(`${time} `), Buffer.from(log.subarray(lineStart, end)));
    }
    lineStart = end;
  }
  return Buffer.concat(out);
}

export interface FakeClusterOptions {
  /** Resources the fake API server serves (`group/version/plural`); defaults to Argo's two. */
  servedResources?: string[];
  gitVersion?: string;
  /** Bytes per podLogs chunk, to exercise stream reassembly. */
  logChunkBytes?: number;
  now?: () => Date;
}

export class FakeCluster implements ClusterPort {
  readonly objects = new Map<string, KubeObject>();
  readonly logs = new Map<string, string | Uint8Array>();
  /** The options of every podLogs call, to show which reads seeked. */
  readonly logRequests: PodLogOptions[] = [];
  readonly calls: RecordedCall[] = [];
  readonly faults: FaultRule[] = [];
  /** Rules checked after a call took effect: a match loses the answer (see failOnce's afterApply). */
  readonly lostReplies: FaultRule[] = [];
  served: Set<string>;
  gitVersion: string;
  reachable = true;
  private readonly logChunkBytes: number;
  private readonly now: () => Date;
  private resourceVersion = 1000;
  private uidCounter = 0;
  private completedDepth = 0;

  constructor(options: FakeClusterOptions = {}) {
    this.served = new Set(
      options.servedResources ?? ['argoproj.io/v1alpha1/workflows', 'argoproj.io/v1alpha1/cronworkflows'],
    );
    this.gitVersion = options.gitVersion ?? 'v1.31.2-eks-fake';
    this.logChunkBytes = options.logChunkBytes ?? 64 * 1024;
    this.now = options.now ?? (() => new Date());
  }

  // -------------------------------------------------------------------------------------------------
  // Test helpers

  /** Largest sequential depth of the calls since the last reset. */
  criticalPath(): number {
    return this.calls.reduce((max, call) => Math.max(max, call.depth), 0);
  }

  resetCalls(): void {
    this.calls.length = 0;
    this.completedDepth = 0;
  }

  callsOf(verb: Verb, plural?: string): RecordedCall[] {
    return this.calls.filter(
      (call) => call.verb === verb && (plural === undefined || call.plural === plural),
    );
  }

  /**
   * Fails the first call matching `verb`/`plural` (and `name` when given) once with `error`. With
   * `afterApply` the call takes effect first and only its answer is lost, as when a connection drops after
   * the API server applied a request.
   */
  failOnce(
    verb: Verb,
    plural: string | undefined,
    error: unknown,
    name?: string,
    options: { afterApply?: boolean } = {},
  ): void {
    let fired = false;
    const rule: FaultRule = (call) => {
      if (fired || call.verb !== verb || (plural !== undefined && call.plural !== plural)) return undefined;
      if (name !== undefined && call.name !== name) return undefined;
      fired = true;
      return error;
    };
    (options.afterApply ? this.lostReplies : this.faults).push(rule);
  }

  /** Puts an object straight into the store (no call recorded), filling server-side metadata. */
  seed<T extends KubeObject>(type: ResourceType, namespace: string | undefined, object: T): T {
    const stored = this.stamp(structuredClone(object), namespace);
    this.objects.set(key(type.plural, namespace, stored.metadata.name as string), stored);
    return structuredClone(stored);
  }

  peek<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    const found = this.objects.get(key(type.plural, namespace, name));
    return found ? (structuredClone(found) as T) : undefined;
  }

  all(type: ResourceType): KubeObject[] {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${type.plural}/`))
      .map(([, object]) => structuredClone(object));
  }

  setPodLog(namespace: string, pod: string, log: string | Uint8Array): void {
    this.logs.set(`${namespace}/${pod}`, log);
  }

  // -------------------------------------------------------------------------------------------------
  // ClusterPort

  async create<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    object: T,
  ): Promise<T> {
    return this.call('create', type, object.metadata.name, object, () => {
      const copy = structuredClone(object);
      if (!copy.metadata.name && copy.metadata.generateName) {
        copy.metadata.name = `${copy.metadata.generateName}${(++this.uidCounter).toString(36).padStart(5, '0')}`;
      }
      const name = copy.metadata.name;
      if (!name) throw new Error(`FakeCluster: create ${type.kind} without a name`);
      const k = key(type.plural, namespace, name);
      if (this.objects.has(k)) throw new ConflictError(`${type.kind} ${name} already exists`);
      const stored = this.stamp(copy, namespace);
      this.objects.set(k, stored);
      return structuredClone(stored) as T;
    });
  }

  async replace<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    object: T,
  ): Promise<T> {
    const name = object.metadata.name as string;
    return this.call('replace', type, name, object, () => {
      const k = key(type.plural, namespace, name);
      const current = this.objects.get(k);
      if (!current) throw new NotFoundError(`${type.kind} ${name} not found`);
      const expected = object.metadata.resourceVersion;
      if (expected !== undefined && expected !== current.metadata.resourceVersion) {
        throw new ConflictError(`${type.kind} ${name} was modified (resourceVersion ${expected} is stale)`);
      }
      const next: KubeObject = structuredClone(object);
      next.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        namespace,
        resourceVersion: String(++this.resourceVersion),
      };
      // The status subresource is not replaced through the main resource.
      if ('status' in current) next.status = structuredClone(current.status);
      else delete next.status;
      this.objects.set(k, next);
      return structuredClone(next) as T;
    });
  }

  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<T> {
    return this.call('mergePatch', type, name, undefined, () => {
      const k = key(type.plural, namespace, name);
      const current = this.objects.get(k);
      if (!current) throw new NotFoundError(`${type.kind} ${name} not found`);
      const next = applyMergePatch(current, patch) as KubeObject;
      next.metadata.resourceVersion = String(++this.resourceVersion);
      this.objects.set(k, next);
      return structuredClone(next) as T;
    });
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string): Promise<boolean> {
    return this.call('delete', type, name, undefined, () => {
      const k = key(type.plural, namespace, name);
      const current = this.objects.get(k);
      if (!current) return false;
      this.objects.delete(k);
      this.collectDependents(current.metadata.uid);
      return true;
    });
  }

  async get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    return this.call('get', type, name, undefined, () => {
      const found = this.objects.get(key(type.plural, namespace, name));
      return found ? (structuredClone(found) as T) : undefined;
    });
  }

  async getMetadata(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<ObjectMeta | undefined> {
    return this.call('getMetadata', type, name, undefined, () => {
      const found = this.objects.get(key(type.plural, namespace, name));
      return found ? structuredClone(found.metadata) : undefined;
    });
  }

  async list<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    return this.call('list', type, undefined, undefined, () => {
      const prefix = `${type.plural}/${namespace ?? ''}/`;
      const matching = [...this.objects.entries()]
        .filter(
          ([k, object]) =>
            k.startsWith(prefix) && matchesSelector(object.metadata.labels, options.labelSelector),
        )
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, object]) => object);
      const start = options.continue ? Number(Buffer.from(options.continue, 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw new Error('FakeCluster: bad continue token');
      const end = options.limit ? start + options.limit : matching.length;
      const page: ListPage<T> = {
        items: matching.slice(start, end).map((object) => structuredClone(object) as T),
        resourceVersion: String(this.resourceVersion),
      };
      if (end < matching.length) page.continue = Buffer.from(String(end)).toString('base64url');
      return page;
    });
  }

  podLogs(namespace: string, pod: string, options: PodLogOptions): AsyncIterable<Uint8Array> {
    return this.streamLog(namespace, pod, options);
  }

  private async *streamLog(
    namespace: string,
    pod: string,
    options: PodLogOptions,
  ): AsyncGenerator<Uint8Array> {
    const log = await this.call('podLogs', { plural: 'pods', kind: 'Pod' }, pod, undefined, () => {
      if (!this.objects.has(key('pods', namespace, pod))) throw new NotFoundError(`Pod ${pod} not found`);
      if (options.container !== 'main')
        throw new Error(`FakeCluster: unexpected container ${options.container}`);
      const text = this.logs.get(`${namespace}/${pod}`) ?? '';
      return typeof text === 'string' ? new TextEncoder().encode(text) : text;
    });
    this.logRequests.push({ ...options });
    const served = options.timestamps ? kubeletTimestamped(log, options.sinceTime) : log;
    const limit = Math.min(options.limitBytes ?? served.length, served.length);
    for (let offset = 0; offset < limit; offset += this.logChunkBytes) {
      yield served.subarray(offset, Math.min(offset + this.logChunkBytes, limit));
    }
  }

  async serverVersion(): Promise<{ gitVersion: string }> {
    return this.call('serverVersion', undefined, undefined, undefined, () => ({
      gitVersion: this.gitVersion,
    }));
  }

  async hasResource(group: string, version: string, plural: string): Promise<boolean> {
    return this.call('hasResource', undefined, plural, undefined, () =>
      this.served.has(`${group}/${version}/${plural}`),
    );
  }

  // -------------------------------------------------------------------------------------------------

  private async call<R>(
    verb: Verb,
    type: Pick<ResourceType, 'plural' | 'kind'> | undefined,
    name: string | undefined,
    object: KubeObject | undefined,
    run: () => R,
  ): Promise<R> {
    const record: RecordedCall = { verb, depth: this.completedDepth + 1 };
    if (type) record.plural = type.plural;
    if (name !== undefined) record.name = name;
    this.calls.push(record);
    // A real round trip: let every call issued in the same tick start before any completes.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      if (!this.reachable) throw new ClusterUnavailableError('fake API server is down');
      const seen = {
        verb,
        ...(type ? { plural: type.plural } : {}),
        ...(name ? { name } : {}),
        ...(object ? { object } : {}),
      };
      for (const rule of this.faults) {
        const fault = rule(seen);
        if (fault !== undefined) throw fault;
      }
      const result = run();
      for (const rule of this.lostReplies) {
        const fault = rule(seen);
        if (fault !== undefined) throw fault;
      }
      return result;
    } finally {
      this.completedDepth = Math.max(this.completedDepth, record.depth);
    }
  }

  private stamp<T extends KubeObject>(object: T, namespace: string | undefined): T {
    object.metadata.namespace = namespace;
    object.metadata.uid ??= `uid-${++this.uidCounter}`;
    object.metadata.creationTimestamp ??= this.now().toISOString();
    object.metadata.resourceVersion = String(++this.resourceVersion);
    return object;
  }

  /** The garbage collector, synchronously: removes objects owned by `uid`, recursively. */
  private collectDependents(uid: string | undefined): void {
    if (!uid) return;
    for (const [k, object] of [...this.objects.entries()]) {
      if (object.metadata.ownerReferences?.some((owner) => owner.uid === uid)) {
        this.objects.delete(k);
        this.collectDependents(object.metadata.uid);
      }
    }
  }
}
