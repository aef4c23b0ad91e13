// The EKS cluster as the stack reaches it: the provider for its region, the bridge's access entry, and the
// Kubernetes provider the deployer uses (its token minted by our own `hybrid-runner eks token`, so the
// deployer's machine needs no AWS CLI).
import { join } from 'node:path';
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
  tokenCommand: ExecCommand = deployerTokenCommand(),
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
        deployerKubeconfig(
          endpoint,
          authorities[0]?.data ?? '',
          config.cluster.name,
          clusterRegionName,
          tokenCommand,
        ),
      ),
  });
  return { cluster, provider };
}

/** A program and its leading arguments, as a kubeconfig `exec` entry runs it. */
export interface ExecCommand {
  command: string;
  args: string[];
}

/**
 * How the deployer's machine runs `hybrid-runner eks token`: the Node that runs the deploy (`npx sst deploy`
 * puts the project's own Node 24 first on PATH) with the CLI's entry in the checkout, both absolute, since
 * the Kubernetes provider runs the command from its own working directory with no npm on the way.
 */
export function deployerTokenCommand(
  // SST's $cli global names the project root; the stack tests run without SST, in the root.
  root: string = (globalThis as { $cli?: { paths?: { root?: string } } }).$cli?.paths?.root ?? process.cwd(),
  node: string = process.execPath,
): ExecCommand {
  return { command: node, args: [join(root, 'packages/cli/bin/hybrid-runner.js')] };
}

/**
 * Kubeconfig for the deployer (sst deploy): `hybrid-runner eks token` mints the token with the deployer's
 * credentials (the AWS SDK's chain: environment, profile, SSO), as `aws eks get-token` would.
 */
export function deployerKubeconfig(
  endpoint: string,
  caData: string,
  clusterName: string,
  region: string,
  tokenCommand: ExecCommand = deployerTokenCommand(),
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
            command: tokenCommand.command,
            args: [...tokenCommand.args, 'eks', 'token', '--cluster', clusterName, '--region', region],
            // A deploy never waits on a prompt: the token comes from credentials already in place.
            interactiveMode: 'Never',
          },
        },
      },
    ],
  });
}
