// The emulated cluster's in-process API: the store plus the admission steps a real API server applies
// before storing (namespace must exist, service account must exist for pods, Secret stringData folding,
// defaults). The HTTP server and the simulated controller both write through it, so controller-made
// objects are validated exactly like client-made ones.
import type { KubeObject, ResourceDefinition } from './resources.ts';
import { PodLogStore } from './pod-logs.ts';
import type { DeleteOptions } from './store.ts';
import { ObjectStore } from './store.ts';
import { KubeApiError, badRequest, notFound } from './status.ts';

function metadataOf(object: KubeObject): Record<string, unknown> {
  if (object.metadata === undefined) object.metadata = {};
  if (typeof object.metadata !== 'object' || object.metadata === null || Array.isArray(object.metadata)) {
    throw badRequest('metadata must be an object');
  }
  return object.metadata;
}

export class EmulatedCluster {
  readonly store: ObjectStore;
  readonly logs = new PodLogStore();

  constructor(definitions: ResourceDefinition[]) {
    this.store = new ObjectStore(definitions);
    this.store.subscribe((event) => {
      if (event.definition.kind === 'Pod' && event.definition.group === '' && event.type === 'DELETED') {
        const metadata = metadataOf(event.object);
        this.logs.removePod(String(metadata['namespace']), String(metadata['name']));
      }
    });
  }

  resource(group: string, plural: string): ResourceDefinition {
    const definition = this.store.definitionFor(group, plural);
    if (!definition) throw new Error(`the emulator does not serve ${plural}${group ? `.${group}` : ''}`);
    return definition;
  }

  private ensureNamespace(namespace: string | undefined): void {
    if (namespace === undefined) return;
    if (!this.store.get(this.resource('', 'namespaces'), undefined, namespace)) {
      throw notFound({ group: '', plural: 'namespaces' }, namespace);
    }
  }

  private admit(
    definition: ResourceDefinition,
    namespace: string | undefined,
    object: KubeObject,
    previous?: KubeObject,
  ): KubeObject {
    const admitted = structuredClone(object);
    metadataOf(admitted);
    if (definition.group !== '') return admitted;
    if (definition.kind === 'Secret') {
      const stringData = admitted['stringData'];
      if (stringData !== undefined && stringData !== null) {
        const data = { ...((admitted['data'] as Record<string, string> | undefined) ?? {}) };
        for (const [key, value] of Object.entries(stringData as Record<string, unknown>)) {
          data[key] = Buffer.from(String(value), 'utf8').toString('base64');
        }
        admitted['data'] = data;
      }
      delete admitted['stringData'];
      admitted['type'] ??= previous?.['type'] ?? 'Opaque';
    }
    if (definition.kind === 'Namespace' && !previous) {
      admitted['spec'] = { finalizers: ['kubernetes'], ...((admitted['spec'] as object | undefined) ?? {}) };
      admitted['status'] = { phase: 'Active' };
    }
    if (definition.kind === 'Pod' && !previous) {
      const spec = (admitted['spec'] ?? {}) as Record<string, unknown>;
      const serviceAccount = String(spec['serviceAccountName'] ?? 'default');
      spec['serviceAccountName'] = serviceAccount;
      if (!this.store.get(this.resource('', 'serviceaccounts'), namespace, serviceAccount)) {
        const name = String(metadataOf(admitted)['name'] ?? metadataOf(admitted)['generateName'] ?? '');
        throw new KubeApiError(
          403,
          'Forbidden',
          `pods "${name}" is forbidden: error looking up service account ${namespace}/${serviceAccount}: serviceaccount "${serviceAccount}" not found`,
          { name, kind: 'pods' },
        );
      }
      admitted['status'] ??= { phase: 'Pending', qosClass: 'BestEffort' };
    }
    return admitted;
  }

  create(definition: ResourceDefinition, namespace: string | undefined, object: KubeObject): KubeObject {
    const ns = definition.namespaced ? namespace : undefined;
    this.ensureNamespace(ns);
    const created = this.store.create(definition, ns, this.admit(definition, ns, object));
    if (definition.kind === 'Namespace' && definition.group === '') {
      // The service account controller gives every namespace a `default` service account.
      const name = String(metadataOf(created)['name']);
      this.store.create(this.resource('', 'serviceaccounts'), name, { metadata: { name: 'default' } });
    }
    return created;
  }

  get(definition: ResourceDefinition, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(definition, namespace, name);
  }

  update(
    definition: ResourceDefinition,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
  ): KubeObject {
    const previous = this.store.mustGet(definition, namespace, name);
    return this.store.update(
      definition,
      namespace,
      name,
      this.admit(definition, namespace, object, previous),
    );
  }

  /** Read-modify-write without a resourceVersion check, for the controller's own status writes. */
  mutate(
    definition: ResourceDefinition,
    namespace: string | undefined,
    name: string,
    change: (object: KubeObject) => void,
  ): KubeObject | undefined {
    const current = this.store.get(definition, namespace, name);
    if (!current) return undefined;
    change(current);
    return this.update(definition, namespace, name, current);
  }

  delete(
    definition: ResourceDefinition,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    return this.store.delete(definition, namespace, name, options);
  }
}
