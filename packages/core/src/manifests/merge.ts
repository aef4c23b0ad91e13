// Merging user-supplied container and workflow params into the runner's own (customContainerParams,
// workflowParams).
import type { Json } from './json.ts';
import { isObject } from './json.ts';

/**
 * Deep merge for Kubernetes-shaped objects: objects merge key by key, lists of named items (env,
 * volumeMounts, ports) merge by `name` with the override winning, other lists are appended
 * (tolerations), scalars are replaced.
 */
export function mergeKubernetesObjects<T extends Json>(base: T, override: Json | undefined): T {
  if (!override) return base;
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    if (isObject(current) && isObject(value)) result[key] = mergeKubernetesObjects(current, value);
    else if (Array.isArray(current) && Array.isArray(value)) result[key] = mergeLists(current, value);
    else if (value !== undefined) result[key] = structuredClone(value);
  }
  return result as T;
}

export function isNamed(item: unknown): item is Json & { name: string } {
  return isObject(item) && typeof item.name === 'string';
}

function mergeLists(base: unknown[], override: unknown[]): unknown[] {
  if (!base.every(isNamed) || !override.every(isNamed)) return [...base, ...structuredClone(override)];
  const merged = [...base];
  for (const item of override) {
    const index = merged.findIndex((existing) => (existing as { name: string }).name === item.name);
    if (index >= 0) merged[index] = structuredClone(item);
    else merged.push(structuredClone(item));
  }
  return merged;
}
