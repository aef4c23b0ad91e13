// Where Argo runs. With `argo.placement: fargate` an EKS Fargate profile takes every pod of the Argo namespace
// (its controller, and its server when enabled), so the cluster needs no worker node while nothing runs; the
// controller's resources are sized for Fargate, which bills a pod by its requests rounded up to the next
// vCPU/memory combination, plus 256 MB for the kubelet and friends. Plain data; the profile and its pod
// execution role are registered by placement-resources.ts.
import type { StageConfig } from '@hybrid-runner/config';

/**
 * 0.25 vCPU and 512 MiB requested (+256 MB Fargate adds = 0.75 GB → billed as 0.25 vCPU / 1 GB, the second
 * smallest combination). Limits equal requests: Fargate gives the pod what it bills, no more, so a higher
 * limit would only be a promise it cannot keep. Enough for the controller of a few hundred runs a day.
 */
export const FARGATE_CONTROLLER_RESOURCES = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { cpu: '250m', memory: '512Mi' },
} as const;

/** Chart values that follow from argo.placement and argo.server.enabled (merged under argo.values). */
export function argoPlacementValues(config: StageConfig): Record<string, unknown> {
  const values: Record<string, unknown> = { server: { enabled: config.argo.server.enabled } };
  if (config.argo.placement === 'fargate') {
    values['controller'] = { resources: structuredClone(FARGATE_CONTROLLER_RESOURCES) };
  }
  return values;
}
