// Output negotiation from the Accept header, as the API server does it (apiserver's
// handlers/negotiation and handlers/response.go): a clause such as
// `application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1` asks for the object's metadata only.
// Clauses are tried by q-value; one the server cannot honour is skipped, and when none is left the plain
// object is sent, as Kubernetes does. PartialObjectMetadata of a list, or a list of a single object, is
// 406 NotAcceptable. Supported here: JSON only (no protobuf or YAML), PartialObjectMetadata and
// PartialObjectMetadataList and Table (table.ts) in meta.k8s.io/v1 and v1beta1. Refused with 406 instead
// of served: converted watches (metadata-only or Table; the real server serves both).
import type { KubeObject } from './resources.ts';
import { KubeApiError } from './status.ts';
import type { PrinterColumn } from './table.ts';
import { renderTable } from './table.ts';

export type OutputConversion = 'PartialObjectMetadata' | 'PartialObjectMetadataList' | 'Table';

export interface OutputTarget {
  /** Undefined: the object as stored. */
  conversion?: OutputConversion;
  /** `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`, with a conversion. */
  apiVersion?: string;
}

const META_GROUP = 'meta.k8s.io';
const META_VERSIONS = ['v1', 'v1beta1'];
const CONVERSIONS: readonly string[] = ['PartialObjectMetadata', 'PartialObjectMetadataList', 'Table'];

interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Map<string, string>;
  order: number;
}

function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  header.split(',').forEach((part, order) => {
    const [range = '', ...rawParams] = part.split(';').map((piece) => piece.trim());
    const [type = '', subType = '*'] = range.toLowerCase().split('/');
    if (!type) return;
    const params = new Map<string, string>();
    let q = 1;
    for (const raw of rawParams) {
      const equals = raw.indexOf('=');
      if (equals < 0) continue;
      const name = raw.slice(0, equals).trim();
      const value = raw.slice(equals + 1).trim();
      if (name === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else params.set(name, value);
    }
    clauses.push({ type, subType, q, params, order });
  });
  // As goautoneg: by q, then the more specific range first, then in the order given.
  const specificity = (clause: AcceptClause) => (clause.type === '*' ? 0 : clause.subType === '*' ? 1 : 2);
  return clauses
    .filter((clause) => clause.q > 0)
    .sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || a.order - b.order);
}

function servesJson(clause: AcceptClause): boolean {
  return (
    (clause.type === 'application' && (clause.subType === 'json' || clause.subType === '*')) ||
    (clause.type === '*' && clause.subType === '*')
  );
}

/** The representation an Accept header asks for; the plain object when it asks for nothing we can honour. */
export function negotiateOutput(accept: string | undefined): OutputTarget {
  if (!accept) return {};
  for (const clause of parseAccept(accept)) {
    if (!servesJson(clause)) continue;
    const as = clause.params.get('as');
    const group = clause.params.get('g');
    const version = clause.params.get('v');
    if (as === undefined && group === undefined && version === undefined) return {};
    // A conversion the server does not allow skips the clause (AllowsConversion), it is no error.
    if (!as || !CONVERSIONS.includes(as) || group !== META_GROUP || !META_VERSIONS.includes(version ?? ''))
      continue;
    return { conversion: as as OutputConversion, apiVersion: `${META_GROUP}/${version}` };
  }
  return {};
}

function notAcceptable(message: string): KubeApiError {
  return new KubeApiError(406, 'NotAcceptable', message);
}

function partial(object: KubeObject, apiVersion: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: structuredClone(object.metadata ?? {}) };
}

/** One object (a get, or the answer to a write) as the negotiated target wants it. */
export function renderObject(
  object: KubeObject,
  target: OutputTarget,
  printerColumns?: PrinterColumn[],
): KubeObject {
  if (!target.conversion) return object;
  if (target.conversion === 'Table')
    return renderTable([object], {}, { printerColumns, apiVersion: target.apiVersion as string });
  if (target.conversion === 'PartialObjectMetadataList') {
    throw notAcceptable(
      `you requested PartialObjectMetadataList, but the requested object is not a list (${String(object.kind)})`,
    );
  }
  return partial(object, target.apiVersion as string);
}

/** A list response as the negotiated target wants it. */
export function renderList(
  list: { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: KubeObject[] },
  target: OutputTarget,
  printerColumns?: PrinterColumn[],
): unknown {
  if (!target.conversion) return list;
  if (target.conversion === 'Table')
    return renderTable(list.items, list.metadata, {
      printerColumns,
      apiVersion: target.apiVersion as string,
    });
  if (target.conversion === 'PartialObjectMetadata') {
    throw notAcceptable(
      `you requested PartialObjectMetadata, but the requested object is a list (${list.kind})`,
    );
  }
  const apiVersion = target.apiVersion as string;
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion,
    metadata: list.metadata,
    items: list.items.map((item) => partial(item, apiVersion)),
  };
}

/** Watches stream whole objects only here. */
export function refuseConvertedWatch(target: OutputTarget): void {
  if (target.conversion) {
    throw notAcceptable(
      `this Kubernetes API emulator does not serve watches as ${target.conversion} (a real API server does): watch without "as="`,
    );
  }
}
