// The EKS cluster as the stack reaches it: the provider for its region, the bridge's access entry, and the
// Kubernetes provider the deployer uses (its token minted by the AWS CLI).
import type { StageConfig } from '@hybrid-runner/config';
import { FUNCTION_GROUPS } from './cluster-access.ts';

/** Resource options for AWS resources of the cluster's region (a provider only when it is not the stage's). */
export type ClusterOptions = { provider?: aws.Provider };

export function clusterRegionOptions(config: StageConfig): ClusterOptions {
  const clusterProvider = config.cluster.region
    ? new aws.Provider('ClusterRegion', { region: config.cluster.region as aws.Region })
    : undefined;
  return clusterProvider ? { provider: clusterProvider } : {};
}

export interface ClusterConnection {
  cluster: $util.Output<aws.eks.GetClusterResult>;
  provider: kubernetes.Provider;
}

/** Looks the cluster up, maps the bridge role to its Kubernetes group, and connects the deployer to it. */
export function connectCluster(
  config: StageConfig,
  clusterOptions: ClusterOptions,
  clusterRegion: $util.Output<string>,
  bridgeRole: aws.iam.Role,
): ClusterConnection {
  // Access entries map each role to a Kubernetes group; RBAC grants the groups what they need.
  const cluster = aws.eks.getClusterOutput({ name: config.cluster.name }, clusterOptions);
  new aws.eks.AccessEntry(
    'BridgeAccess',
    {
      clusterName: config.cluster.name,
      principalArn: bridgeRole.arn,
      kubernetesGroups: [FUNCTION_GROUPS.bridge],
      type: 'STANDARD',
    },
    clusterOptions,
  );
  const provider = new kubernetes.Provider('Cluster', {
    kubeconfig: $util
      .all([cluster.endpoint, cluster.certificateAuthorities, clusterRegion])
      .apply(([endpoint, authorities, clusterRegionName]) =>
        deployerKubeconfig(endpoint, authorities[0]?.data ?? '', config.cluster.name, clusterRegionName),
      ),
  });
  return { cluster, provider };
}

/** Kubeconfig for the deployer (sst deploy): the AWS CLI mints the token with the deployer's credentials. */
export function deployerKubeconfig(
  endpoint: string,
  caData: string,
  clusterName: string,
  region: string,
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: endpoint, 'certificate-authority-data': caData } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: 'sst-deployer' } }],
    'current-context': clusterName,
    users: [
      {
        name: 'sst-deployer',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: ['eks', 'get-token', '--cluster-name', clusterName, '--region', region, '--output', 'json'],
          },
        },
      },
    ],
  });
}
