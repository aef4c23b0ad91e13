// Lists and objects as meta.k8s.io Table, what kubectl's human-readable output asks for (`kubectl get`).
// Custom resources as apiextensions-apiserver's table convertor builds them: Name, then the CRD's
// additionalPrinterColumns (simple `.a.b` JSON paths; `date` cells as a human-readable age), or Age when
// the CRD has none. Built-in kinds get the API server's default convertor (Name, Created At), not the
// kind-specific columns (READY, STATUS, ...) a real server prints for pods and the like.
import type { KubeObject } from './resources.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

const NAME_COLUMN = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
};
/** What the API server defaults additionalPrinterColumns to for a CRD version without any. */
const CRD_DEFAULT_COLUMNS: PrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

/** apimachinery's duration.HumanDuration, as ConvertToHumanReadableDateType prints an age. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

function valueAt(object: KubeObject, jsonPath: string): unknown {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(jsonPath)) return undefined; // only simple paths here
  let value: unknown = object;
  for (const key of jsonPath.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function cell(column: PrinterColumn, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  if (column.type === 'date') {
    const time = Date.parse(String(value));
    return Number.isNaN(time) ? null : humanDuration(now - time);
  }
  if (column.type === 'string') return typeof value === 'string' ? value : JSON.stringify(value);
  return value;
}

export interface TableOptions {
  /** The CRD version's additionalPrinterColumns; undefined for a built-in kind. */
  printerColumns: PrinterColumn[] | undefined;
  apiVersion: string;
  now?: number;
}

/** The Table for `objects`; `listMetadata` for a list (resourceVersion, continue). */
export function renderTable(
  objects: KubeObject[],
  listMetadata: Record<string, unknown>,
  options: TableOptions,
): Record<string, unknown> {
  const now = options.now ?? Date.now();
  const custom = options.printerColumns;
  const columns = custom === undefined ? [] : custom.length ? custom : CRD_DEFAULT_COLUMNS;
  const columnDefinitions = [
    NAME_COLUMN,
    ...(custom === undefined
      ? [
          {
            name: 'Created At',
            type: 'date',
            format: '',
            description: 'When the object was created.',
            priority: 0,
          },
        ]
      : columns.map((column) => ({
          name: column.name,
          type: column.type,
          format: column.format ?? '',
          description: column.description ?? '',
          priority: column.priority ?? 0,
        }))),
  ];
  const rows = objects.map((object) => {
    const metadata = (object.metadata ?? {}) as Record<string, unknown>;
    const cells =
      custom === undefined
        ? [metadata['name'], metadata['creationTimestamp'] ?? null]
        : [metadata['name'], ...columns.map((column) => cell(column, valueAt(object, column.jsonPath), now))];
    return {
      cells,
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: options.apiVersion,
        metadata: structuredClone(metadata),
      },
    };
  });
  return { kind: 'Table', apiVersion: options.apiVersion, metadata: listMetadata, columnDefinitions, rows };
}
