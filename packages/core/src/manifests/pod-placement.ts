// Where and how big the pods are: resources per workload kind, and the node selector, tolerations and
// affinity from the runner settings.
import type { WorkloadKind } from '../names.ts';
import type { ResourceRequirements, RunnerSettings } from '../settings.ts';
import type { Json } from './json.ts';

export function resourcesFor(kind: WorkloadKind, settings: RunnerSettings): ResourceRequirements {
  return structuredClone(kind === 'automation' ? settings.automationResources : settings.resources);
}

/** The pod placement fields of a workflow spec; only those the settings give. */
export function podPlacement(settings: RunnerSettings): Json {
  const placement: Json = {};
  if (settings.tolerations.length > 0) placement.tolerations = structuredClone(settings.tolerations);
  if (Object.keys(settings.nodeSelector).length > 0) placement.nodeSelector = { ...settings.nodeSelector };
  if (settings.affinity) placement.affinity = structuredClone(settings.affinity);
  return placement;
}
