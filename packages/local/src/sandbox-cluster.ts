// The cluster the local stage's runner submits to: by default the sandbox (the Kubernetes API emulator with
// the simulated Argo controller, EKS-token authentication and the stack's RBAC, behind an EKS DescribeCluster
// stand-in, with s3rver as Argo's artifact repository for archived logs); with a kubeconfig, that cluster.
import type { StageConfig } from '@hybrid-runner/config';
import {
  startKubernetesEmulator,
  type ControllerOptions,
  type KubernetesEmulator,
} from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import type { Cleanups } from './cleanups.ts';
import { writeOperatorKubeconfig } from './operator-kubeconfig.ts';
import { startLocalS3, type LocalS3 } from './s3.ts';
import { OPERATOR_USER, sandboxIdentities, sandboxRbacRules } from './sandbox-rbac.ts';
import { LOCAL_CLUSTER_NAME, LOCAL_REGION } from './stage-config.ts';
import type { StageCredentials } from './stage-credentials.ts';
import { startEksStandIn, type EksStandIn } from './standins/eks.ts';

export interface StageCluster {
  /** The Kubernetes API the runner submits to (the emulator, or the kubeconfig's server). */
  kubernetesApi: string;
  /** With a kubeconfig: the cluster it names (the composition root only knows EKS, so it is handed over). */
  realCluster?: KubernetesCluster;
  /** The sandbox, its EKS stand-in and artifact repository: absent with a real cluster. */
  emulator?: KubernetesEmulator;
  eks?: EksStandIn;
  s3?: LocalS3;
}

export interface StageClusterOptions {
  config: StageConfig;
  /** The ingestion pods' service account (settings.serviceAccountName), which the sandbox holds from the start. */
  serviceAccountName: string;
  credentials: StageCredentials;
  /** Submit to the cluster of this kubeconfig instead of the sandbox emulator. */
  kubeconfig?: string | undefined;
  /** Where the operator kubeconfig for the sandbox is written. */
  kubeconfigPath: string;
  cli: { node: string; script: string };
  controller?: ControllerOptions | undefined;
  log: (message: string) => void;
}

export async function startStageCluster(
  options: StageClusterOptions,
  cleanups: Cleanups,
): Promise<StageCluster> {
  if (options.kubeconfig) {
    const realCluster = await KubernetesCluster.connect({ mode: 'kubeconfig', path: options.kubeconfig });
    return { kubernetesApi: realCluster.config.server, realCluster };
  }
  const { runner, operator } = options.credentials;
  const namespace = options.config.namespaces.ingestion;
  // Argo's artifact repository with archiveLogs: the runner reads a run's log there once its pod is gone.
  const s3 = await startLocalS3({
    region: LOCAL_REGION,
    accessKeys: { [runner.accessKeyId]: runner.secretAccessKey },
  });
  cleanups.add(() => s3.close());
  const emulator = await startKubernetesEmulator({
    auth: {
      mode: 'eks',
      region: LOCAL_REGION,
      clusterName: LOCAL_CLUSTER_NAME,
      credentials: sandboxIdentities({ runner, operator }),
    },
    rbac: sandboxRbacRules(options.config, OPERATOR_USER),
    namespaces: [namespace],
    controller: { logArchive: s3.logSink, ...options.controller },
    log: (message) => options.log(`kubernetes emulator: ${message}`),
  });
  cleanups.add(() => emulator.close());
  emulator.cluster.create(emulator.cluster.resource('', 'serviceaccounts'), namespace, {
    metadata: { name: options.serviceAccountName },
  });
  const eks = await startEksStandIn({
    accessKeys: {
      [runner.accessKeyId]: runner.secretAccessKey,
      [operator.accessKeyId]: operator.secretAccessKey,
    },
    clusters: { [LOCAL_CLUSTER_NAME]: { endpoint: emulator.url, caCertPem: emulator.caCert } },
  });
  cleanups.add(() => eks.close());
  writeOperatorKubeconfig(
    options.kubeconfigPath,
    { server: emulator.url, caCert: emulator.caCert, namespace, cli: options.cli, keys: operator },
    cleanups,
  );
  return { kubernetesApi: emulator.url, emulator, eks, s3 };
}
