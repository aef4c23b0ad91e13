// Validates custom resources against a CRD's openAPIV3Schema the way a Kubernetes API server with
// strict field validation does: structural schema rules compiled to JSON Schema and checked by ajv.
// What it covers: types, required, enum, pattern, bounds, formats (int32/int64/byte/date-time),
// nullable, int-or-string, list-type set and map (duplicate keys), additionalProperties, and unknown fields as errors wherever
// the schema lists `properties` (or is an object without them) and does not say
// `x-kubernetes-preserve-unknown-fields: true`; plus ObjectMeta (name, labels, annotations) rules.
// What it does not: CEL rules (`x-kubernetes-validations`), defaulting, pruning, immutability.
// Callers pass the CRD text: this module never reads files, so the emulator can ship without fixtures.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

type Json = Record<string, unknown>;

export interface CrdValidator {
  group: string;
  kind: string;
  plural: string;
  version: string;
  /** The CRD's own openAPIV3Schema for that version, as written (what the API server publishes). */
  openApiV3Schema: Json;
  /** That version's additionalPrinterColumns (empty when it has none), for Table output. */
  printerColumns: Json[];
  /** Messages of the form `spec.templates[0].foo: unknown field`; an empty array means valid. */
  validate(object: unknown): string[];
}

export interface LoadCrdValidatorOptions {
  /** CRD version to validate against; defaults to the storage version (else the first served). */
  version?: string;
}

/** JSON Schema keywords that carry validation; everything else (descriptions, defaults, x-…) is dropped. */
const KEPT_KEYWORDS = new Set([
  'type',
  'required',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'format',
  'nullable',
]);
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'] as const;
/** Our ajv keyword for `x-kubernetes-list-type: map`: no two items may share their key values. */
const LIST_MAP_KEYWORD = 'listMapKeys';

interface ListMapKeys {
  keys: string[];
  defaults: unknown[];
}

/** Duplicate-key check of a list-map, reported like the API server's "Duplicate value". */
function validateListMap(
  schema: ListMapKeys,
  data: unknown[],
  _parentSchema?: unknown,
  context?: { instancePath: string },
): boolean {
  const seen = new Set<string>();
  const errors: Array<Partial<ErrorObject>> = [];
  data.forEach((item, index) => {
    if (!isObject(item)) return;
    const key = Object.fromEntries(schema.keys.map((k, i) => [k, item[k] ?? schema.defaults[i]]));
    const text = JSON.stringify(key);
    if (seen.has(text)) {
      errors.push({
        keyword: LIST_MAP_KEYWORD,
        instancePath: `${context?.instancePath ?? ''}/${index}`,
        message: `duplicate value ${text}`,
        params: { key },
      });
    }
    seen.add(text);
  });
  (validateListMap as { errors?: unknown }).errors = errors;
  return errors.length === 0;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DNS_SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const LABEL_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';

/** ObjectMeta as the API server checks it for every object (CRDs declare `metadata: {type: object}`). */
const OBJECT_META_SCHEMA: Json = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['name'] }, { required: ['generateName'] }],
  properties: {
    name: { type: 'string', maxLength: 253, pattern: `^${DNS_SUBDOMAIN}$` },
    generateName: { type: 'string', maxLength: 248, pattern: '^[a-z0-9]([-a-z0-9.]*)?$' },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: { type: ['string', 'null'] },
    deletionTimestamp: { type: ['string', 'null'] },
    deletionGracePeriodSeconds: { type: 'integer' },
    selfLink: { type: 'string' },
    finalizers: { type: 'array', items: { type: 'string' } },
    managedFields: { type: 'array', items: { type: 'object' } },
    labels: {
      type: 'object',
      propertyNames: { maxLength: 317, pattern: `^(${DNS_SUBDOMAIN}/)?${LABEL_NAME}$` },
      additionalProperties: { type: 'string', maxLength: 63, pattern: `^(${LABEL_NAME})?$` },
    },
    annotations: {
      type: 'object',
      propertyNames: { maxLength: 317, pattern: `^(${DNS_SUBDOMAIN}/)?${LABEL_NAME}$` },
      additionalProperties: { type: 'string' },
    },
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          name: { type: 'string' },
          uid: { type: 'string' },
          controller: { type: 'boolean' },
          blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
  },
};

/** Structural OpenAPI v3 schema (Kubernetes dialect) → JSON Schema for ajv. */
function toJsonSchema(node: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) if (KEPT_KEYWORDS.has(key)) out[key] = value;
  // OpenAPI 3.0 / draft-04 boolean exclusive bounds → draft-07 numeric ones.
  if (node.exclusiveMinimum === true && typeof node.minimum === 'number') {
    out.exclusiveMinimum = node.minimum;
    delete out.minimum;
  }
  if (node.exclusiveMaximum === true && typeof node.maximum === 'number') {
    out.exclusiveMaximum = node.maximum;
    delete out.maximum;
  }
  const preserveUnknown = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    if (!Array.isArray(node.anyOf)) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (node['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  if (node['x-kubernetes-list-type'] === 'map' && Array.isArray(node['x-kubernetes-list-map-keys'])) {
    const keys = node['x-kubernetes-list-map-keys'].map(String);
    const itemProperties = (
      isObject(node.items) && isObject(node.items.properties) ? node.items.properties : {}
    ) as Json;
    // A key left out counts as its default (a port's protocol defaults to TCP), as the API server does.
    const defaults = keys.map((key) =>
      isObject(itemProperties[key]) ? itemProperties[key].default : undefined,
    );
    out[LIST_MAP_KEYWORD] = { keys, defaults };
  }
  if (out.nullable === true && out.type === undefined) delete out.nullable; // ajv needs a type beside it
  if (isObject(node.properties)) {
    const properties: Json = {};
    for (const [name, child] of Object.entries(node.properties)) {
      if (isObject(child)) properties[name] = toJsonSchema(child);
    }
    if (node['x-kubernetes-embedded-resource'] === true) {
      properties.apiVersion ??= { type: 'string' };
      properties.kind ??= { type: 'string' };
      properties.metadata ??= { type: 'object' };
    }
    out.properties = properties;
  }
  if (isObject(node.items)) out.items = toJsonSchema(node.items);
  if (isObject(node.additionalProperties)) out.additionalProperties = toJsonSchema(node.additionalProperties);
  else if (typeof node.additionalProperties === 'boolean')
    out.additionalProperties = node.additionalProperties;
  else if (!preserveUnknown && (node.type === 'object' || isObject(node.properties))) {
    // Structural schemas prune what they do not declare; with strict field validation that is an error.
    out.additionalProperties = false;
  }
  for (const list of SCHEMA_LISTS) {
    const schemas = node[list];
    if (Array.isArray(schemas)) out[list] = schemas.filter(isObject).map(toJsonSchema);
  }
  if (isObject(node.not)) out.not = toJsonSchema(node.not);
  return out;
}

/**
 * Hash-conses identical subschemas (Argo repeats the container, volume and artifact schemas hundreds of
 * times) into `definitions` referenced by `$ref`, so ajv compiles each shape once: compiling the largest
 * CRD drops from many seconds and megabytes of generated code to well under a second.
 */
function shareRepeatedSubschemas(root: Json): Json {
  interface Entry {
    shell: Json;
    children: Array<{ set: (shell: Json, value: unknown) => void; id: number }>;
    uses: number;
    size: number;
  }
  const table: Entry[] = [];
  const ids = new Map<string, number>();

  function intern(schema: Json): number {
    const shell: Json = { ...schema };
    const children: Entry['children'] = [];
    const keyParts: Json = { ...schema };
    let size = 1;
    const child = (
      value: Json,
      set: (target: Json, v: unknown) => void,
      keyPath: (key: Json, id: number) => void,
    ) => {
      const id = intern(value);
      children.push({ id, set });
      keyPath(keyParts, id);
      size += (table[id] as Entry).size;
    };
    if (isObject(schema.properties)) {
      const names = Object.keys(schema.properties);
      shell.properties = {};
      keyParts.properties = {};
      for (const name of names) {
        child(
          (schema.properties as Record<string, Json>)[name] as Json,
          (target, v) => ((target.properties as Json)[name] = v),
          (key, id) => ((key.properties as Json)[name] = id),
        );
      }
    }
    for (const single of ['items', 'additionalProperties', 'not'] as const) {
      const value = schema[single];
      if (isObject(value)) {
        child(
          value,
          (target, v) => (target[single] = v),
          (key, id) => (key[single] = id),
        );
      }
    }
    for (const list of SCHEMA_LISTS) {
      const values = schema[list];
      if (!Array.isArray(values)) continue;
      shell[list] = values.map(() => undefined);
      keyParts[list] = values.map(() => undefined);
      values.forEach((value: Json, index: number) =>
        child(
          value,
          (target, v) => ((target[list] as unknown[])[index] = v),
          (key, id) => ((key[list] as unknown[])[index] = id),
        ),
      );
    }
    const key = JSON.stringify(keyParts);
    const existing = ids.get(key);
    if (existing !== undefined) {
      (table[existing] as Entry).uses++;
      return existing;
    }
    const id = table.length;
    table.push({ shell, children, uses: 1, size });
    ids.set(key, id);
    return id;
  }

  const definitions: Json = {};
  function emit(id: number, isRoot: boolean): Json {
    const entry = table[id] as Entry;
    const name = `s${id}`;
    const shared = !isRoot && entry.uses > 1 && entry.size > 2;
    if (shared && definitions[name] !== undefined) return { $ref: `#/definitions/${name}` };
    if (shared) definitions[name] = true; // reserve before recursing (schemas are trees, but be safe)
    const out: Json = structuredClone(entry.shell);
    for (const { id: childId, set } of entry.children) set(out, emit(childId, false));
    if (!shared) return out;
    definitions[name] = out;
    return { $ref: `#/definitions/${name}` };
  }

  const rootId = intern(root);
  const schema = emit(rootId, true);
  return Object.keys(definitions).length > 0 ? { ...schema, definitions } : schema;
}

/** One ajv per validator: ajv caches every schema it compiles, so a shared one would grow with each load. */
function newAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: false,
    validateFormats: true,
    inlineRefs: false,
  });
  // ajv-formats is CommonJS; under Node's ESM loader its default export is the plugin function itself.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
    addFormatsModule) as unknown as (ajv: Ajv) => void;
  addFormats(ajv);
  ajv.addKeyword({
    keyword: LIST_MAP_KEYWORD,
    type: 'array',
    schemaType: 'object',
    errors: true,
    validate: validateListMap,
  });
  return ajv;
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment)
          ? `${path}[${segment}]`
          : /^[A-Za-z_$][\w$-]*$/.test(segment)
            ? `${path ? `${path}.` : ''}${segment}`
            : `${path}[${JSON.stringify(segment)}]`,
      '',
    );
}

function describe(error: ErrorObject): string {
  const path = pointerToPath(error.instancePath) || '<root>';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${path === '<root>' ? '' : `${path}.`}${String(params.additionalProperty)}: unknown field`;
    case 'required':
      return `${path === '<root>' ? '' : `${path}.`}${String(params.missingProperty)}: required value`;
    case 'enum':
      return `${path}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'propertyNames':
      return `${path}[${JSON.stringify(params.propertyName)}]: invalid key`;
    case 'const':
      return `${path}: must be ${JSON.stringify(params.allowedValue)}`;
    case 'anyOf':
    case 'oneOf': {
      const branches = Array.isArray(error.schema) ? (error.schema as Json[]) : [];
      const types = branches.map((b) => b.type).filter((t) => typeof t === 'string');
      if (types.length === branches.length && types.length > 0)
        return `${path}: must be ${types.join(' or ')}`;
      const required = branches.flatMap((b) => (Array.isArray(b.required) ? b.required : []));
      if (required.length === branches.length) return `${path}: needs one of ${required.join(', ')}`;
      return `${path}: matches none of the allowed shapes`;
    }
    default:
      return `${path}: ${error.message ?? error.keyword}`;
  }
}

/** ajv reports every failed branch of an anyOf (and a bad key twice); keep one message for each. */
function summarise(errors: ErrorObject[]): string[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const kept = errors.filter(
    (e) =>
      // A bad key is reported once, by the propertyNames error that names it.
      !e.schemaPath.includes('/propertyNames/') &&
      !alternatives.some(
        (a) => e.instancePath.startsWith(a.instancePath) && e.schemaPath.startsWith(`${a.schemaPath}/`),
      ),
  );
  return [...new Set(kept.map(describe))];
}

function selectVersion(
  crd: Json,
  wanted: string | undefined,
): { name: string; schema: Json; printerColumns: Json[] } {
  const versions = ((isObject(crd.spec) && crd.spec.versions) || []) as Json[];
  const version =
    wanted !== undefined
      ? versions.find((v) => v.name === wanted)
      : (versions.find((v) => v.storage === true) ?? versions.find((v) => v.served === true) ?? versions[0]);
  if (!version) {
    const known = versions.map((v) => String(v.name)).join(', ') || 'none';
    throw new Error(
      `CRD has no version ${wanted ?? ''} (versions: ${known}): pass one of them as options.version.`,
    );
  }
  const schema = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
  if (!isObject(schema)) {
    throw new Error(
      `CRD version ${String(version.name)} has no schema.openAPIV3Schema: it cannot be validated.`,
    );
  }
  const printerColumns = Array.isArray(version.additionalPrinterColumns)
    ? version.additionalPrinterColumns.filter(isObject)
    : [];
  return { name: String(version.name), schema, printerColumns };
}

/** Compiles a validator for the custom resource a CRD (YAML or JSON text) defines. */
export function loadCrdValidator(crdYamlText: string, options: LoadCrdValidatorOptions = {}): CrdValidator {
  const crd: unknown = parseYaml(crdYamlText, { maxAliasCount: -1 });
  if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) {
    throw new Error('Not a CustomResourceDefinition: pass the text of an apiextensions.k8s.io/v1 CRD.');
  }
  const names = (isObject(crd.spec.names) ? crd.spec.names : {}) as Json;
  const group = String(crd.spec.group ?? '');
  const kind = String(names.kind ?? '');
  const plural = String(names.plural ?? '');
  const { name: version, schema, printerColumns } = selectVersion(crd, options.version);
  const jsonSchema = toJsonSchema(schema);
  const properties = (jsonSchema.properties ?? {}) as Json;
  properties.metadata = OBJECT_META_SCHEMA;
  properties.apiVersion = { const: `${group}/${version}` };
  properties.kind = { const: kind };
  jsonSchema.properties = properties;
  jsonSchema.required = [
    ...new Set([...((jsonSchema.required as string[]) ?? []), 'apiVersion', 'kind', 'metadata']),
  ];
  const validateFn: ValidateFunction = newAjv().compile(shareRepeatedSubschemas(jsonSchema));
  return {
    group,
    kind,
    plural,
    version,
    openApiV3Schema: schema,
    printerColumns,
    validate(object: unknown): string[] {
      if (validateFn(object)) return [];
      return summarise(validateFn.errors ?? []);
    },
  };
}
