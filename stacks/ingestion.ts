// Where the ingestion pods run: their namespace, their service account, and the AWS role they get through
// IRSA or EKS Pod Identity (reading secret references under the runner's prefix, and with logs.archive
// writing their own logs to the archive).
import { IRSA_ROLE_ANNOTATION } from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import type { ClusterOptions } from './cluster.ts';
import {
  ingestionPodsLogArchivePolicy,
  ingestionPodsPolicy,
  irsaTrustPolicy,
  podIdentityTrustPolicy,
  secretPrefixArn,
} from './iam-policies.ts';
import type { AccountContext } from './iam-policies.ts';

export interface IngestionPlacement {
  namespace: kubernetes.core.v1.Namespace;
  /** Undefined when the stage uses a service account it manages itself. */
  serviceAccount: kubernetes.core.v1.ServiceAccount | undefined;
}

export function deployIngestionNamespace(
  config: StageConfig,
  account: $util.Output<AccountContext>,
  cluster: $util.Output<aws.eks.GetClusterResult>,
  clusterRegion: $util.Output<string>,
  k8s: kubernetes.Provider,
  clusterOptions: ClusterOptions,
  /** With logs.archive: the objects the pods may write (logArchiveObjectsArn). */
  archivedLogsArn?: $util.Output<string>,
): IngestionPlacement {
  const k8sOptions = { provider: k8s };
  const ingestionNamespace = new kubernetes.core.v1.Namespace(
    'IngestionNamespace',
    { metadata: { name: config.namespaces.ingestion } },
    // A namespace may hold more than ours (pipeline secrets, runs): `sst remove` leaves it.
    { ...k8sOptions, retainOnDelete: true },
  );
  const pods = config.ingestionPods;
  const podRole =
    pods.identity !== 'none' && !(IRSA_ROLE_ANNOTATION in pods.serviceAccount.annotations)
      ? ingestionPodsRole(config, account, cluster, clusterRegion, archivedLogsArn)
      : undefined;
  const annotations = {
    ...pods.serviceAccount.annotations,
    ...(podRole && pods.identity === 'irsa' ? { [IRSA_ROLE_ANNOTATION]: podRole.arn } : {}),
  };
  const serviceAccount = pods.serviceAccount.create
    ? new kubernetes.core.v1.ServiceAccount(
        'IngestionServiceAccount',
        { metadata: { name: pods.serviceAccount.name, namespace: config.namespaces.ingestion, annotations } },
        { ...k8sOptions, dependsOn: [ingestionNamespace] },
      )
    : undefined;
  if (podRole && pods.identity === 'pod-identity') {
    new aws.eks.PodIdentityAssociation(
      'IngestionPodIdentity',
      {
        clusterName: config.cluster.name,
        namespace: config.namespaces.ingestion,
        serviceAccount: pods.serviceAccount.name,
        roleArn: podRole.arn,
      },
      clusterOptions,
    );
  }
  return { namespace: ingestionNamespace, serviceAccount };
}

function ingestionPodsRole(
  config: StageConfig,
  account: $util.Output<AccountContext>,
  cluster: $util.Output<aws.eks.GetClusterResult>,
  clusterRegion: $util.Output<string>,
  archivedLogsArn: $util.Output<string> | undefined,
): aws.iam.Role {
  const pods = config.ingestionPods;
  const trust =
    pods.identity === 'irsa'
      ? $util.all([account, cluster.identities]).apply(([context, identities]) =>
          JSON.stringify(
            irsaTrustPolicy({
              account: context,
              oidcIssuer: identities[0]?.oidcs[0]?.issuer ?? '',
              namespace: config.namespaces.ingestion,
              serviceAccount: pods.serviceAccount.name,
            }),
          ),
        )
      : account.apply((context) =>
          JSON.stringify(
            podIdentityTrustPolicy({
              account: context,
              clusterName: config.cluster.name,
              namespace: config.namespaces.ingestion,
              serviceAccount: pods.serviceAccount.name,
            }),
          ),
        );
  const role = new aws.iam.Role('IngestionPodsRole', {
    description:
      'Ingestion pods of the hybrid runner: read secrets under the runner prefix, archive own logs',
    assumeRolePolicy: trust,
  });
  if (config.secretsManager.provider === 'managed-aws') {
    new aws.iam.RolePolicy('IngestionPodsPolicy', {
      role: role.name,
      policy: $util
        .all([account, clusterRegion])
        .apply(([context, clusterRegionName]) =>
          JSON.stringify(
            ingestionPodsPolicy(
              secretPrefixArn(
                context,
                config.secretsManager.prefix,
                config.secretsManager.region ?? clusterRegionName,
              ),
            ),
          ),
        ),
    });
  }
  if (archivedLogsArn) {
    new aws.iam.RolePolicy('IngestionPodsLogArchivePolicy', {
      role: role.name,
      policy: archivedLogsArn.apply((arn) => JSON.stringify(ingestionPodsLogArchivePolicy(arn))),
    });
  }
  return role;
}
