// Which namespaces get the pull secret: the ingestion namespace, literal names and `*`/`?` patterns, less
// exclusions and namespaces being deleted.
import { listAll } from '../list.ts';
import { RESOURCES } from '../ports.ts';
import type { ClusterPort } from '../ports.ts';
import type { RegistryRefreshSettings } from './refresh-settings.ts';

export function isNamespacePattern(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** Whether a namespace name matches a name or a `*`/`?` pattern (whole-name match). */
export function matchesNamespacePattern(namespace: string, pattern: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(namespace);
}

export interface NamespaceInfo {
  name: string;
  /** True when the namespace is being deleted (Secrets can no longer be created there). */
  terminating: boolean;
}

export interface SkippedNamespace {
  namespace: string;
  reason: string;
}

export interface RefreshTargets {
  /** Sorted, ingestion namespace first. */
  namespaces: string[];
  skipped: SkippedNamespace[];
}

/**
 * Whether resolving the targets needs the cluster's namespace list: only for patterns, so a runner given
 * literal names needs no cluster-wide `list namespaces` permission.
 */
export function needsNamespaceList(settings: Pick<RegistryRefreshSettings, 'namespaces'>): boolean {
  return settings.namespaces.some(isNamespacePattern);
}

/**
 * The namespaces to refresh. `existing` is the cluster's namespace list, or `undefined` when it was not
 * needed or could not be read: then only the ingestion namespace and literal names are targeted.
 */
export function selectTargetNamespaces(
  settings: Pick<RegistryRefreshSettings, 'ingestionNamespace' | 'namespaces' | 'excludeNamespaces'>,
  existing: NamespaceInfo[] | undefined,
): RefreshTargets {
  const skipped: SkippedNamespace[] = [];
  const chosen = new Set<string>();
  const excluded = (name: string) => settings.excludeNamespaces.some((p) => matchesNamespacePattern(name, p));
  if (existing === undefined) {
    for (const entry of settings.namespaces) {
      if (isNamespacePattern(entry) || entry === settings.ingestionNamespace) continue;
      if (excluded(entry)) skipped.push({ namespace: entry, reason: 'excluded' });
      else chosen.add(entry);
    }
  } else {
    const byName = new Map(existing.map((n) => [n.name, n]));
    for (const entry of settings.namespaces) {
      if (!isNamespacePattern(entry) && !byName.has(entry) && entry !== settings.ingestionNamespace) {
        skipped.push({ namespace: entry, reason: 'namespace does not exist' });
      }
    }
    for (const namespace of existing) {
      if (namespace.name === settings.ingestionNamespace) continue;
      if (!settings.namespaces.some((p) => matchesNamespacePattern(namespace.name, p))) continue;
      if (excluded(namespace.name)) skipped.push({ namespace: namespace.name, reason: 'excluded' });
      else if (namespace.terminating)
        skipped.push({ namespace: namespace.name, reason: 'namespace is terminating' });
      else chosen.add(namespace.name);
    }
  }
  chosen.delete(settings.ingestionNamespace);
  skipped.sort((a, b) => a.namespace.localeCompare(b.namespace));
  return { namespaces: [settings.ingestionNamespace, ...[...chosen].sort()], skipped };
}

/** The cluster's namespaces, with those being deleted marked. */
export async function listNamespaces(cluster: ClusterPort): Promise<NamespaceInfo[]> {
  const namespaces = await listAll(cluster, RESOURCES.namespace, undefined);
  return namespaces.flatMap((item) => {
    if (!item.metadata.name) return [];
    const phase = (item as { status?: { phase?: string } }).status?.phase;
    return [
      {
        name: item.metadata.name,
        terminating: phase === 'Terminating' || Boolean(item.metadata.deletionTimestamp),
      },
    ];
  });
}
