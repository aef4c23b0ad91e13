import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { clearEksClusterInfoCache, describeEksCluster } from '@hybrid-runner/aws';
import { ClusterUnavailableError } from '@hybrid-runner/core';

const eks = mockClient(EKSClient);
const client = new EKSClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});

function awsError(name: string) {
  return Object.assign(new Error(`${name} from the mock`), { name, $metadata: {} });
}

beforeEach(() => {
  eks.reset();
  clearEksClusterInfoCache();
});

describe('describeEksCluster', () => {
  it('returns endpoint and CA, and calls DescribeCluster once per container for concurrent and later callers', async () => {
    eks.on(DescribeClusterCommand, { name: 'ingest' }).resolves({
      cluster: {
        name: 'ingest',
        endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthority: { data: 'LS0tLS1CRUdJTi...' },
        version: '1.33',
        status: 'ACTIVE',
      },
    });
    const options = { clusterName: 'ingest', region: 'eu-west-1', client };
    const [a, b] = await Promise.all([describeEksCluster(options), describeEksCluster(options)]);
    const c = await describeEksCluster(options);
    expect(a).toEqual({
      name: 'ingest',
      region: 'eu-west-1',
      endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthorityData: 'LS0tLS1CRUdJTi...',
      version: '1.33',
      status: 'ACTIVE',
    });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it('does not cache failures, and names the cluster and region when it does not exist', async () => {
    eks
      .on(DescribeClusterCommand)
      .rejectsOnce(awsError('ResourceNotFoundException'))
      .resolves({
        cluster: { endpoint: 'https://x', certificateAuthority: { data: 'Y2E=' } },
      });
    const options = { clusterName: 'typo', region: 'eu-west-1', client };
    const error = await describeEksCluster(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(
      /"typo" does not exist in eu-west-1: check the cluster name and region/,
    );
    expect((await describeEksCluster(options)).endpoint).toBe('https://x');
  });

  it('says which IAM permission is missing on AccessDenied', async () => {
    eks.on(DescribeClusterCommand).rejects(awsError('AccessDeniedException'));
    await expect(describeEksCluster({ clusterName: 'c', region: 'eu-west-1', client })).rejects.toThrow(
      /allow eks:DescribeCluster/,
    );
  });

  it('refuses a cluster that has no endpoint yet (still creating)', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'c', status: 'CREATING' } });
    await expect(describeEksCluster({ clusterName: 'c', region: 'eu-west-1', client })).rejects.toThrow(
      /status CREATING.*wait until the cluster is ACTIVE/,
    );
  });
});
