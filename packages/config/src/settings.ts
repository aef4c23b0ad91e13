// The stage configuration as core's RunnerSettings: what manifests and operations need at run time.
import { defaultRunnerSettings } from '@hybrid-runner/core';
import type { RunnerSettings } from '@hybrid-runner/core';
import { ingestionPodPlacement } from './placement.ts';
import type { StageConfig } from './schema.ts';

export interface RunnerSettingsContext {
  /** The region the stage is deployed to, used when neither secretsManager.region nor cluster.region is set. */
  region?: string;
  runnerVersion?: string;
}

export function toRunnerSettings(config: StageConfig, context: RunnerSettingsContext = {}): RunnerSettings {
  const pods = config.ingestionPods;
  const secretsRegion = config.secretsManager.region ?? config.cluster.region ?? context.region;
  const placement = ingestionPodPlacement(config);
  const settings: RunnerSettings = {
    agentId: config.agentId,
    serverHost: config.serverHost,
    useSecureProtocols: config.useSecureProtocols,
    runnerVersion: context.runnerVersion ?? defaultRunnerSettings().runnerVersion,
    namespace: config.namespaces.ingestion,
    image: { ...pods.image },
    imagePullSecrets: [...pods.imagePullSecrets],
    serviceAccountName: pods.serviceAccount.name,
    resources: structuredClone(pods.resources),
    automationResources: structuredClone(pods.automationResources),
    extraEnv: pods.extraEnv.map((variable) => ({ ...variable })),
    tolerations: placement.tolerations,
    nodeSelector: placement.nodeSelector,
    ttlSecondsAfterCompletion: pods.ttlSecondsAfterCompletion,
    secretsManager: {
      provider: config.secretsManager.provider,
      prefix: config.secretsManager.prefix,
      ...(secretsRegion ? { region: secretsRegion } : {}),
    },
  };
  if (pods.affinity) settings.affinity = structuredClone(pods.affinity);
  if (pods.customConfig.containerParams)
    settings.customContainerParams = structuredClone(pods.customConfig.containerParams);
  const workflowParams = structuredClone(pods.customConfig.workflowParams ?? {});
  if (Object.keys(placement.podAnnotations).length > 0) {
    // Under podMetadata, which the manifests merge with the runner's own pod annotations.
    const podMetadata = (workflowParams['podMetadata'] ?? {}) as { annotations?: Record<string, string> };
    workflowParams['podMetadata'] = {
      ...podMetadata,
      annotations: { ...podMetadata.annotations, ...placement.podAnnotations },
    };
  }
  if (Object.keys(workflowParams).length > 0) settings.workflowParams = workflowParams;
  if (pods.podGC) settings.podGC = { ...pods.podGC };
  if (pods.activeDeadlineSeconds) settings.activeDeadlineSeconds = pods.activeDeadlineSeconds;
  return settings;
}
