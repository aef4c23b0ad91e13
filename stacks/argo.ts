// Argo Workflows on the cluster: the official chart, with the published chart's choices and the placement's
// (argo-placement.ts) under the user's values.
import type { StageConfig } from '@hybrid-runner/config';
import { argoPlacementValues } from './argo-placement.ts';

export const ARGO_HELM_REPOSITORY = 'https://argoproj.github.io/argo-helm';

/** Argo Workflows 3.7 from its official chart, with the published chart's choices under the user's values. */
export function argoValues(config: StageConfig): Record<string, unknown> {
  const published = deepMerge(
    {
      fullnameOverride: 'argo-workflows',
      crds: { install: true },
      controller: { serviceAccount: { create: true, name: 'argo-workflows-controller-sa' } },
      server: {
        serviceAccount: { create: true, name: 'argo-workflows-server-sa' },
        extraArgs: ['--auth-mode=client'],
      },
    },
    argoPlacementValues(config),
  );
  return deepMerge(published, config.argo.values);
}

/** Installs the chart (and its namespace when asked) after `dependsOn`; `sst remove` leaves the namespace. */
export function installArgo(
  config: StageConfig,
  provider: kubernetes.Provider,
  dependsOn: $util.Resource[] = [],
): void {
  const namespace = config.argo.createNamespace
    ? new kubernetes.core.v1.Namespace(
        'ArgoNamespace',
        { metadata: { name: config.namespaces.argo } },
        { provider, retainOnDelete: true },
      )
    : undefined;
  new kubernetes.helm.v3.Release(
    'ArgoWorkflows',
    {
      name: 'argo-workflows',
      chart: 'argo-workflows',
      version: config.argo.chartVersion,
      repositoryOpts: { repo: ARGO_HELM_REPOSITORY },
      namespace: config.namespaces.argo,
      values: argoValues(config),
    },
    { provider, dependsOn: [...dependsOn, ...(namespace ? [namespace] : [])] },
  );
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
