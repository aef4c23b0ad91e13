// The API endpoint and CA of an EKS cluster, from eks:DescribeCluster. Both change only when the cluster
// is replaced, so one lookup per Lambda container is enough; failures are not cached.
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { AwsCredentials } from './token.ts';

export interface EksClusterInfo {
  name: string;
  region: string;
  /** `https://<id>.<suffix>.<region>.eks.amazonaws.com` */
  endpoint: string;
  /** Base64 PEM of the cluster CA, as DescribeCluster returns it (kubeconfig `certificate-authority-data`). */
  certificateAuthorityData: string;
  /** Kubernetes minor version, e.g. `1.33`. */
  version?: string;
  status?: string;
}

export interface DescribeEksClusterOptions {
  clusterName: string;
  region: string;
  credentials?: AwsCredentials;
  /** EKS API endpoint override (the local stand-in). */
  endpointOverride?: string;
  /** A ready client (tests); otherwise one is built from region, credentials and endpoint. */
  client?: EKSClient;
}

const cache = new Map<string, Promise<EksClusterInfo>>();

/** Forgets cached cluster lookups (tests; or after the cluster was replaced). */
export function clearEksClusterInfoCache(): void {
  cache.clear();
}

/** DescribeCluster once per container and cluster; concurrent callers share one call. */
export function describeEksCluster(options: DescribeEksClusterOptions): Promise<EksClusterInfo> {
  const key = JSON.stringify([options.region, options.clusterName, options.endpointOverride ?? '']);
  let pending = cache.get(key);
  if (!pending) {
    pending = fetchClusterInfo(options);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function fetchClusterInfo(options: DescribeEksClusterOptions): Promise<EksClusterInfo> {
  const { clusterName, region } = options;
  const client =
    options.client ??
    new EKSClient({
      region,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.endpointOverride ? { endpoint: options.endpointOverride } : {}),
    });
  let cluster;
  try {
    ({ cluster } = await client.send(new DescribeClusterCommand({ name: clusterName })));
  } catch (error) {
    throw describeError(error, clusterName, region);
  }
  const endpoint = cluster?.endpoint;
  const certificateAuthorityData = cluster?.certificateAuthority?.data;
  if (!endpoint || !certificateAuthorityData) {
    throw new ClusterUnavailableError(
      `EKS cluster "${clusterName}" in ${region} has no API endpoint yet (status ${cluster?.status ?? 'unknown'}): ` +
        'wait until the cluster is ACTIVE, then retry.',
    );
  }
  return {
    name: clusterName,
    region,
    endpoint,
    certificateAuthorityData,
    ...(cluster?.version ? { version: cluster.version } : {}),
    ...(cluster?.status ? { status: cluster.status } : {}),
  };
}

function describeError(error: unknown, clusterName: string, region: string): ClusterUnavailableError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ResourceNotFoundException') {
    return new ClusterUnavailableError(
      `EKS cluster "${clusterName}" does not exist in ${region}: check the cluster name and region in the stage configuration.`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException') {
    return new ClusterUnavailableError(
      `The runner may not describe EKS cluster "${clusterName}" in ${region}: allow eks:DescribeCluster on it ` +
        "in the function's IAM role.",
      { cause: error },
    );
  }
  return new ClusterUnavailableError(
    `Could not describe EKS cluster "${clusterName}" in ${region} (${name || 'unknown error'}): ` +
      'check network access to the EKS API and retry.',
    { cause: error },
  );
}
