// The object store behind the emulator: one global resourceVersion counter (as etcd's revision), optimistic
// concurrency, generateName, list pagination, watch with replay from a resourceVersion, and garbage
// collection of dependents through ownerReferences. Everything stored and returned is a deep copy.
import { randomUUID } from 'node:crypto';
import type { KubeObject, ResourceDefinition } from './resources.ts';
import { apiVersionOf } from './resources.ts';
import type { FieldRequirement, LabelRequirement } from './selectors.ts';
import { matchesFields, matchesLabels } from './selectors.ts';
import {
  STALE_OBJECT_MESSAGE,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  invalid,
  notFound,
} from './status.ts';
import { validateMetadata } from './resources.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  definition: ResourceDefinition;
  object: KubeObject;
  resourceVersion: number;
}

export interface ListQuery {
  namespace?: string;
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** A DELETE's options: its propagation policy and preconditions (from the query or DeleteOptions body). */
export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditionUid?: string;
  preconditionResourceVersion?: string;
}

type Metadata = Record<string, unknown> & {
  name?: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ uid: string; name: string; kind: string; apiVersion: string }>;
};

function meta(object: KubeObject): Metadata {
  return (object.metadata ?? {}) as Metadata;
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

const GENERATE_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** Watch events kept for replay from a resourceVersion; older ones answer 410 Expired, as after compaction. */
const DEFAULT_HISTORY_LIMIT = 5_000;

export class ObjectStore {
  private revision = 0;
  private readonly tables = new Map<ResourceDefinition, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly queue: StoreEvent[] = [];
  private draining = false;
  private readonly definitions: ResourceDefinition[];

  private readonly historyLimit: number;

  constructor(definitions: ResourceDefinition[], options: { historyLimit?: number } = {}) {
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.definitions = definitions;
    for (const definition of definitions) this.tables.set(definition, new Map());
  }

  get currentRevision(): number {
    return this.revision;
  }

  definitionFor(group: string, plural: string): ResourceDefinition | undefined {
    return this.definitions.find((d) => d.group === group && d.plural === plural);
  }

  definitionByKind(apiVersion: string, kind: string): ResourceDefinition | undefined {
    return this.definitions.find((d) => apiVersionOf(d) === apiVersion && d.kind === kind);
  }

  get allDefinitions(): readonly ResourceDefinition[] {
    return this.definitions;
  }

  private table(definition: ResourceDefinition): Map<string, KubeObject> {
    const table = this.tables.get(definition);
    if (!table) throw new Error(`resource ${definition.plural} is not registered`);
    return table;
  }

  /** Subscribes to every change; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: WatchEventType, definition: ResourceDefinition, object: KubeObject): void {
    const event: StoreEvent = { type, definition, object, resourceVersion: this.revision };
    this.history.push(event);
    if (this.history.length > this.historyLimit)
      this.history.splice(0, this.history.length - this.historyLimit);
    // Listeners may write (the controller does); queueing keeps every listener's view in revision order.
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of [...this.listeners]) listener(next);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Events after `resourceVersion`, or a 410 Expired error when they are no longer retained. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    const oldest = this.history[0]?.resourceVersion ?? this.revision + 1;
    if (resourceVersion < oldest - 1 && resourceVersion < this.revision) {
      throw expired(`too old resource version: ${resourceVersion} (${oldest - 1})`);
    }
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  /** The stored object itself (not a copy) with where it lives; 404 when there is none. */
  private stored(
    definition: ResourceDefinition,
    namespace: string | undefined,
    name: string,
  ): { table: Map<string, KubeObject>; key: string; current: KubeObject } {
    const table = this.table(definition);
    const key = keyOf(definition.namespaced ? namespace : undefined, name);
    const current = table.get(key);
    if (!current) throw notFound(definition, name);
    return { table, key, current };
  }

  get(definition: ResourceDefinition, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.table(definition).get(keyOf(definition.namespaced ? namespace : undefined, name));
    return found ? structuredClone(found) : undefined;
  }

  mustGet(definition: ResourceDefinition, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(definition, namespace, name);
    if (!found) throw notFound(definition, name);
    return found;
  }

  private generateName(
    definition: ResourceDefinition,
    namespace: string | undefined,
    prefix: string,
  ): string {
    const table = this.table(definition);
    for (let attempt = 0; attempt < 100; attempt++) {
      let suffix = '';
      for (let i = 0; i < 5; i++) {
        suffix += GENERATE_SUFFIX_ALPHABET[Math.floor(Math.random() * GENERATE_SUFFIX_ALPHABET.length)];
      }
      const name = `${prefix.slice(0, 58)}${suffix}`;
      if (!table.has(keyOf(namespace, name))) return name;
    }
    throw alreadyExists(definition, `${prefix}xxxxx`);
  }

  private validate(
    definition: ResourceDefinition,
    object: KubeObject,
    previous: KubeObject | undefined,
  ): void {
    const nameStyle = definition.kind === 'Namespace' ? 'label' : 'subdomain';
    const causes = [...validateMetadata(object, nameStyle), ...definition.validate(object, previous)];
    if (causes.length > 0) {
      throw invalid(definition.kind, definition.group, String(meta(object).name ?? ''), causes);
    }
  }

  /** Creates an object (POST). Namespace existence is checked by the caller's admission step. */
  create(definition: ResourceDefinition, namespace: string | undefined, input: KubeObject): KubeObject {
    const object = structuredClone(input);
    const metadata = meta(object);
    object.metadata = metadata;
    object.apiVersion = apiVersionOf(definition);
    object.kind = definition.kind;
    const ns = definition.namespaced ? namespace : undefined;
    if (definition.namespaced) metadata.namespace = ns;
    else delete metadata.namespace;
    if (!metadata.name && metadata.generateName) {
      metadata.name = this.generateName(definition, ns, metadata.generateName);
    }
    for (const field of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'deletionTimestamp',
      'generation',
      'managedFields',
    ]) {
      delete metadata[field];
    }
    this.validate(definition, object, undefined);
    const table = this.table(definition);
    const key = keyOf(ns, String(metadata.name));
    if (table.has(key)) throw alreadyExists(definition, String(metadata.name));
    this.revision++;
    metadata.uid = randomUUID();
    metadata.resourceVersion = String(this.revision);
    metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (definition.custom) metadata['generation'] = 1;
    table.set(key, object);
    this.emit('ADDED', definition, structuredClone(object));
    return structuredClone(object);
  }

  /**
   * Replaces an object (PUT, and the result of PATCH). A `metadata.resourceVersion` in the input that is
   * not the stored one is a 409 Conflict; without one the update is unconditional, as for most kinds.
   */
  update(
    definition: ResourceDefinition,
    namespace: string | undefined,
    name: string,
    input: KubeObject,
  ): KubeObject {
    const { table, key, current } = this.stored(definition, namespace, name);
    const object = structuredClone(input);
    const metadata = meta(object);
    object.metadata = metadata;
    if (metadata.name !== undefined && metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    const currentMeta = meta(current);
    if (metadata.uid !== undefined && metadata.uid !== currentMeta.uid) {
      throw conflict(
        definition,
        name,
        `Precondition failed: UID in precondition: ${String(metadata.uid)}, UID in object meta: ${String(currentMeta.uid)}`,
      );
    }
    if (
      metadata.resourceVersion !== undefined &&
      metadata.resourceVersion !== '' &&
      metadata.resourceVersion !== currentMeta.resourceVersion
    ) {
      throw conflict(definition, name, STALE_OBJECT_MESSAGE);
    }
    object.apiVersion = apiVersionOf(definition);
    object.kind = definition.kind;
    metadata.name = name;
    if (definition.namespaced) metadata.namespace = namespace;
    // Server-owned metadata survives whatever the client sent.
    for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generation']) {
      if (currentMeta[field] !== undefined) metadata[field] = currentMeta[field];
      else delete metadata[field];
    }
    this.validate(definition, object, current);
    const { metadata: _m1, ...currentBody } = current;
    const { metadata: _m2, ...newBody } = object;
    const bodyChanged = JSON.stringify(currentBody) !== JSON.stringify(newBody);
    if (
      JSON.stringify(current) ===
      JSON.stringify({ ...object, metadata: { ...metadata, resourceVersion: currentMeta.resourceVersion } })
    ) {
      // A no-op update keeps the resourceVersion and emits nothing, like a real server.
      return structuredClone(current);
    }
    if (definition.custom && bodyChanged) metadata['generation'] = Number(currentMeta['generation'] ?? 1) + 1;
    this.revision++;
    metadata.resourceVersion = String(this.revision);
    table.set(key, object);
    this.emit('MODIFIED', definition, structuredClone(object));
    return structuredClone(object);
  }

  list(definition: ResourceDefinition, query: ListQuery): ListResult {
    const table = this.table(definition);
    let startAfter = '';
    let listRevision = this.revision;
    if (query.continueToken) {
      try {
        const decoded = JSON.parse(Buffer.from(query.continueToken, 'base64url').toString('utf8')) as {
          rv: number;
          start: string;
        };
        if (typeof decoded.start !== 'string' || typeof decoded.rv !== 'number') throw new Error('bad token');
        startAfter = decoded.start;
        listRevision = decoded.rv;
      } catch {
        throw badRequest(
          'continue key is not valid: the continue token was not issued by this server; list again without it',
        );
      }
    }
    const keys = [...table.keys()].sort();
    const matching: KubeObject[] = [];
    for (const key of keys) {
      if (startAfter && key <= startAfter) continue;
      const object = table.get(key) as KubeObject;
      const metadata = meta(object);
      if (query.namespace !== undefined && definition.namespaced && metadata.namespace !== query.namespace)
        continue;
      if (query.labels && !matchesLabels(query.labels, metadata.labels)) continue;
      if (query.fields && !matchesFields(query.fields, object)) continue;
      matching.push(object);
    }
    const limit = query.limit && query.limit > 0 ? query.limit : undefined;
    const page = limit ? matching.slice(0, limit) : matching;
    const result: ListResult = {
      items: page.map((o) => structuredClone(o)),
      resourceVersion: String(listRevision),
    };
    if (limit && matching.length > limit) {
      const last = page[page.length - 1] as KubeObject;
      const lastMeta = meta(last);
      result.continueToken = Buffer.from(
        JSON.stringify({ rv: listRevision, start: keyOf(lastMeta.namespace, String(lastMeta.name)) }),
      ).toString('base64url');
      if (!query.labels?.length && !query.fields?.length) result.remainingItemCount = matching.length - limit;
    }
    return result;
  }

  /** Objects of any kind whose ownerReferences name `uid`. */
  dependentsOf(uid: string): Array<{ definition: ResourceDefinition; object: KubeObject }> {
    const dependents: Array<{ definition: ResourceDefinition; object: KubeObject }> = [];
    for (const [definition, table] of this.tables) {
      for (const object of table.values()) {
        if (meta(object).ownerReferences?.some((ref) => ref.uid === uid))
          dependents.push({ definition, object });
      }
    }
    return dependents;
  }

  /**
   * Deletes an object and applies the propagation policy to its dependents: Foreground deletes them first,
   * Background deletes them right after (as the garbage collector would, asynchronously), Orphan strips
   * the owner reference. Deleting a namespace deletes everything in it.
   */
  delete(
    definition: ResourceDefinition,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const { table, key, current } = this.stored(definition, namespace, name);
    const currentMeta = meta(current);
    if (options.preconditionUid && options.preconditionUid !== currentMeta.uid) {
      throw conflict(
        definition,
        name,
        `Precondition failed: UID in precondition: ${options.preconditionUid}, UID in object meta: ${String(currentMeta.uid)}`,
      );
    }
    if (
      options.preconditionResourceVersion &&
      options.preconditionResourceVersion !== currentMeta.resourceVersion
    ) {
      throw conflict(
        definition,
        name,
        `Precondition failed: ResourceVersion in precondition: ${options.preconditionResourceVersion}, ResourceVersion in object meta: ${String(currentMeta.resourceVersion)}`,
      );
    }
    const policy = options.propagationPolicy ?? 'Background';
    const uid = String(currentMeta.uid);
    if (policy === 'Orphan') {
      for (const dependent of this.dependentsOf(uid)) {
        const dependentMeta = meta(dependent.object);
        const refs = (dependentMeta.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
        const updated = structuredClone(dependent.object);
        meta(updated).ownerReferences = refs.length > 0 ? refs : undefined;
        if (refs.length === 0) delete meta(updated).ownerReferences;
        delete meta(updated).resourceVersion;
        this.update(dependent.definition, dependentMeta.namespace, String(dependentMeta.name), updated);
      }
    } else if (policy === 'Foreground') {
      this.collectDependents(uid, 'Foreground');
    }
    if (definition.kind === 'Namespace' && definition.group === '') {
      for (const [other, otherTable] of this.tables) {
        if (!other.namespaced) continue;
        for (const object of [...otherTable.values()]) {
          if (meta(object).namespace === name) this.removeNow(other, object);
        }
      }
    }
    const removed = this.removeNow(definition, table.get(key) as KubeObject);
    if (policy === 'Background') setImmediate(() => this.collectDependents(uid, 'Background'));
    return removed;
  }

  private removeNow(definition: ResourceDefinition, object: KubeObject): KubeObject {
    const metadata = meta(object);
    const key = keyOf(definition.namespaced ? metadata.namespace : undefined, String(metadata.name));
    const table = this.table(definition);
    if (!table.delete(key)) return structuredClone(object);
    this.revision++;
    const deleted = structuredClone(object);
    meta(deleted).resourceVersion = String(this.revision);
    this.emit('DELETED', definition, structuredClone(deleted));
    return deleted;
  }

  /** Garbage-collects dependents whose every owner is gone (owners that still exist keep them). */
  private collectDependents(ownerUid: string, policy: PropagationPolicy): void {
    for (const dependent of this.dependentsOf(ownerUid)) {
      const refs = meta(dependent.object).ownerReferences ?? [];
      const otherOwnersAlive = refs.some((ref) => ref.uid !== ownerUid && this.uidExists(ref.uid));
      if (otherOwnersAlive) continue;
      const dependentMeta = meta(dependent.object);
      if (!this.get(dependent.definition, dependentMeta.namespace, String(dependentMeta.name))) continue;
      this.delete(dependent.definition, dependentMeta.namespace, String(dependentMeta.name), {
        propagationPolicy: policy,
      });
    }
  }

  private uidExists(uid: string): boolean {
    for (const table of this.tables.values()) {
      for (const object of table.values()) if (meta(object).uid === uid) return true;
    }
    return false;
  }
}
