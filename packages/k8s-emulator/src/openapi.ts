// /openapi/v2 as the API server publishes it for custom resources (apiextensions-apiserver's OpenAPI v2
// builder): one definition per kind and list, named `<reversed group>.<version>.<Kind>`, carrying
// `x-kubernetes-group-version-kind`, with the CRD's openAPIV3Schema turned into what v2 can say
// (ToStructuralOpenAPIV2: nullable and x-kubernetes-preserve-unknown-fields drop type detail, oneOf/anyOf/
// allOf/not are dropped). kubectl reads it for client-side validation, `apply` and `explain`.
// Not published here: built-in kinds (kubectl then uses its compiled-in types, as it does for a kind a
// server does not publish) and `paths` (kubectl 1.20 reads definitions only); metadata stays the CRD's
// `type: object` rather than a $ref to ObjectMeta.
import type { ResourceDefinition } from './resources.ts';
import { EMULATED_KUBERNETES_VERSION } from './discovery.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `argoproj.io`, `v1alpha1`, `Workflow` → `io.argoproj.v1alpha1.Workflow`. */
export function openApiDefinitionName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

const DROPPED_IN_V2 = new Set(['oneOf', 'anyOf', 'allOf', 'not', 'nullable']);

/** One structural v3 schema node as the v2 publication shows it. */
export function toOpenApiV2Schema(node: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_IN_V2.has(key)) continue;
    if (key === 'properties' && isObject(value)) {
      const properties: Json = {};
      for (const [name, child] of Object.entries(value))
        if (isObject(child)) properties[name] = toOpenApiV2Schema(child);
      out[key] = properties;
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) {
      out[key] = toOpenApiV2Schema(value);
    } else out[key] = value;
  }
  // kubectl cannot check null, or fields it is not told about: such nodes keep no type detail.
  if (node['nullable'] === true) {
    delete out['type'];
    delete out['items'];
    delete out['properties'];
  }
  if (node['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out['items'];
    delete out['properties'];
  }
  if (out['type'] === 'array' && out['items'] === undefined) delete out['type'];
  // A nullable field may be null, so it cannot be required in v2, which has no null.
  if (isObject(node['properties']) && Array.isArray(out['required'])) {
    const properties = node['properties'];
    const nullable = (name: unknown): boolean => {
      const child = properties[String(name)];
      return isObject(child) && child['nullable'] === true;
    };
    const required = (out['required'] as unknown[]).filter((name) => !nullable(name));
    if (required.length) out['required'] = required;
    else delete out['required'];
  }
  return out;
}

function groupVersionKind(definition: ResourceDefinition, kind: string): Json {
  return {
    'x-kubernetes-group-version-kind': [{ group: definition.group, kind, version: definition.version }],
  };
}

/** The OpenAPI v2 (Swagger 2.0) document for the custom resources among `definitions`. */
export function openApiV2Document(definitions: readonly ResourceDefinition[]): Json {
  const published: Json = {};
  for (const definition of definitions) {
    if (!definition.custom || !definition.openApiV3Schema) continue;
    const { group, version, kind, listKind } = definition;
    const name = openApiDefinitionName(group, version, kind);
    published[name] = {
      ...toOpenApiV2Schema(definition.openApiV3Schema),
      ...groupVersionKind(definition, kind),
    };
    published[openApiDefinitionName(group, version, listKind)] = {
      description: `${listKind} is a list of ${kind}`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: { $ref: `#/definitions/${name}` } },
        kind: { type: 'string' },
        metadata: { type: 'object' },
      },
      ...groupVersionKind(definition, listKind),
    };
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: EMULATED_KUBERNETES_VERSION.gitVersion },
    paths: {},
    definitions: published,
  };
}
