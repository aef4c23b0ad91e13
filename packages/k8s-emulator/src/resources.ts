// The resource types the emulator serves: built-in kinds with the field checks a real API server makes,
// and custom resources whose schemas come from CRD YAML (validated with loadCrdValidator).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { loadCrdValidator } from './crd-schema.ts';
import type { StatusCause } from './status.ts';
import type { PrinterColumn } from './table.ts';
import { badRequest } from './status.ts';

/**
 * Any Kubernetes object as JSON. `metadata` is `Record<string, any>` so that interface-typed objects (such as
 * core's KubeObject, whose ObjectMeta has no index signature) can be passed in without casts.
 */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  metadata?: Record<string, any>;
  [field: string]: unknown;
};

export interface ResourceDefinition {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Subresources served, e.g. `log` for pods. */
  subresources: string[];
  /** True for CRD-defined kinds: no strategic merge patch, object returned on delete. */
  custom: boolean;
  /** Field selector labels this kind supports besides metadata.name/namespace. */
  extraFieldSelectors: string[];
  /** The CRD's openAPIV3Schema of the served version (custom resources only), for /openapi/v2. */
  openApiV3Schema?: Record<string, unknown>;
  /** The CRD version's additionalPrinterColumns (custom resources only), for Table output. */
  printerColumns?: PrinterColumn[];
  /** Extra checks beyond metadata; returns one cause per problem. */
  validate(object: KubeObject, previous: KubeObject | undefined): StatusCause[];
}

export function apiVersionOf(definition: { group: string; version: string }): string {
  return definition.group ? `${definition.group}/${definition.version}` : definition.version;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function checkName(name: string, style: 'label' | 'subdomain'): string | undefined {
  const max = style === 'label' ? 63 : 253;
  const pattern = style === 'label' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (name.length > max) return `must be no more than ${max} characters`;
  if (!pattern.test(name)) {
    return style === 'label'
      ? `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`
      : `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** Checks every object gets: name format, labels, annotations. */
export function validateMetadata(object: KubeObject, nameStyle: 'label' | 'subdomain'): StatusCause[] {
  const causes: StatusCause[] = [];
  const metadata = object.metadata ?? {};
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    });
  } else {
    const problem = checkName(name, nameStyle);
    if (problem)
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": ${problem}`,
      });
  }
  const labels = metadata['labels'];
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: 'Invalid value: must be a map of strings',
      });
    } else {
      for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
        if (!QUALIFIED_NAME.test(key) || key.length > 316) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: 'metadata.labels',
            message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
          });
        }
        if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: 'metadata.labels',
            message: `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)`,
          });
        }
      }
    }
  }
  const annotations = metadata['annotations'];
  if (annotations !== undefined && annotations !== null) {
    let size = 0;
    for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
      if (typeof value !== 'string') {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `metadata.annotations.${key}`,
          message: 'Invalid value: annotation values must be strings',
        });
      } else size += key.length + value.length;
    }
    if (size > 256 * 1024) {
      causes.push({
        reason: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: 'Too long: must have at most 262144 bytes',
      });
    }
  }
  return causes;
}

function validateSecret(object: KubeObject, previous: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const data = (object['data'] ?? {}) as Record<string, unknown>;
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    if (!SECRET_KEY.test(key)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: `data[${key}]`,
        message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    }
    if (typeof value !== 'string' || !BASE64.test(value)) {
      // A real server fails to decode the []byte field before validation even runs.
      throw badRequest(
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data in data.${key}`,
      );
    }
    size += Buffer.byteLength(value, 'base64');
  }
  if (size > 1024 * 1024)
    causes.push({
      reason: 'FieldValueTooLong',
      field: 'data',
      message: 'Too long: must have at most 1048576 bytes',
    });
  if (previous) {
    if ((previous['type'] ?? 'Opaque') !== (object['type'] ?? 'Opaque')) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'type',
        message: 'Invalid value: field is immutable',
      });
    }
    if (previous['immutable'] === true) {
      if (JSON.stringify(previous['data'] ?? {}) !== JSON.stringify(object['data'] ?? {})) {
        causes.push({
          reason: 'FieldValueForbidden',
          field: 'data',
          message: 'Forbidden: field is immutable when `immutable` is set',
        });
      }
      if (object['immutable'] !== true) {
        causes.push({
          reason: 'FieldValueForbidden',
          field: 'immutable',
          message: 'Forbidden: field is immutable when `immutable` is set',
        });
      }
    }
  }
  if (object['type'] === 'kubernetes.io/dockerconfigjson' && typeof data['.dockerconfigjson'] !== 'string') {
    causes.push({
      reason: 'FieldValueRequired',
      field: 'data[.dockerconfigjson]',
      message: 'Required value',
    });
  }
  return causes;
}

function validatePod(object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = (object['spec'] ?? {}) as Record<string, unknown>;
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
    return causes;
  }
  containers.forEach((container: Record<string, unknown>, index) => {
    const name = container['name'];
    if (typeof name !== 'string' || name === '') {
      causes.push({
        reason: 'FieldValueRequired',
        field: `spec.containers[${index}].name`,
        message: 'Required value',
      });
    } else if (checkName(name, 'label')) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: `spec.containers[${index}].name`,
        message: `Invalid value: "${name}": ${checkName(name, 'label')}`,
      });
    }
    if (typeof container['image'] !== 'string' || container['image'] === '') {
      causes.push({
        reason: 'FieldValueRequired',
        field: `spec.containers[${index}].image`,
        message: 'Required value',
      });
    }
  });
  return causes;
}

const noChecks = (): StatusCause[] => [];

function builtin(
  kind: string,
  plural: string,
  namespaced: boolean,
  validate: ResourceDefinition['validate'] = noChecks,
  extra: Partial<ResourceDefinition> = {},
): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    subresources: [],
    custom: false,
    extraFieldSelectors: [],
    validate,
    ...extra,
  };
}

export function builtinResources(): ResourceDefinition[] {
  return [
    builtin('Namespace', 'namespaces', false, noChecks, {
      shortNames: ['ns'],
      extraFieldSelectors: ['status.phase'],
    }),
    builtin('Secret', 'secrets', true, validateSecret, { extraFieldSelectors: ['type'] }),
    builtin('ConfigMap', 'configmaps', true, noChecks, { shortNames: ['cm'] }),
    builtin('ServiceAccount', 'serviceaccounts', true, noChecks, { shortNames: ['sa'] }),
    builtin('Pod', 'pods', true, validatePod, {
      shortNames: ['po'],
      subresources: ['log', 'status'],
      extraFieldSelectors: ['status.phase', 'spec.nodeName', 'spec.serviceAccountName'],
    }),
    builtin('Event', 'events', true, noChecks, {
      shortNames: ['ev'],
      extraFieldSelectors: [
        'involvedObject.kind',
        'involvedObject.name',
        'involvedObject.namespace',
        'involvedObject.uid',
        'reason',
        'type',
      ],
    }),
  ];
}

export interface CrdSource {
  /** Path to a CRD YAML file, optionally gzip-compressed (`.gz`). */
  path: string;
  /** Version to serve; defaults to the CRD's storage version. */
  version?: string;
}

const validatorCache = new Map<string, ReturnType<typeof loadCrdValidator>>();

export function readCrdText(path: string): string {
  const raw = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
}

interface CrdHead {
  spec?: {
    group?: string;
    scope?: string;
    names?: { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[] };
  };
}

/** Reads the names and scope from the CRD's head (everything before `versions:`) without parsing megabytes. */
function readCrdHead(text: string): CrdHead {
  const cut = text.search(/^ {2}versions:/m);
  const head = parseYaml(cut > 0 ? text.slice(0, cut) : text) as CrdHead | null;
  return head ?? {};
}

/** Loads a CRD file as a served resource type, compiling its schema once per content per process. */
export function loadCustomResource(source: CrdSource): ResourceDefinition {
  const text = readCrdText(source.path);
  const cacheKey = `${createHash('sha1').update(text).digest('hex')}:${source.version ?? ''}`;
  let validator = validatorCache.get(cacheKey);
  if (!validator) {
    validator = loadCrdValidator(text, source.version ? { version: source.version } : {});
    validatorCache.set(cacheKey, validator);
  }
  const head = readCrdHead(text);
  const names = head.spec?.names ?? {};
  const compiled = validator;
  return {
    group: compiled.group,
    version: compiled.version,
    kind: compiled.kind,
    listKind: names.listKind ?? `${compiled.kind}List`,
    plural: compiled.plural,
    singular: names.singular ?? compiled.kind.toLowerCase(),
    namespaced: head.spec?.scope !== 'Cluster',
    shortNames: names.shortNames ?? [],
    subresources: [],
    custom: true,
    extraFieldSelectors: [],
    openApiV3Schema: compiled.openApiV3Schema,
    printerColumns: compiled.printerColumns as unknown as PrinterColumn[],
    validate: (object) =>
      compiled.validate(object).map((message) => {
        const split = /^([\w.[\]-]+): (.*)$/s.exec(message);
        return split
          ? { reason: 'FieldValueInvalid', field: split[1], message: split[2] ?? message }
          : { reason: 'FieldValueInvalid', message };
      }),
  };
}

const CRD_DIRECTORY = new URL('../crds/', import.meta.url);

/** The Argo v3.7.18 Workflow and CronWorkflow CRDs vendored with this package. */
export function bundledArgoCrds(): CrdSource[] {
  return [
    { path: new URL('argoproj.io_workflows.v3.7.18.yaml.gz', CRD_DIRECTORY).pathname },
    { path: new URL('argoproj.io_cronworkflows.v3.7.18.yaml.gz', CRD_DIRECTORY).pathname },
  ];
}
