// Archived logs (stage `logs.archive`): the S3 bucket Argo writes each pod's main log to, and the artifact
// repository that tells Argo to. The grants live with their roles: the pods' PutObject in ingestion.ts, the
// message function's GetObject in bridge.ts, both on logArchiveObjectsArn (iam-policies.ts).
//
// The repository is the ingestion namespace's `artifact-repositories` ConfigMap, not the controller's
// configuration (the chart's `artifactRepository` values): Argo takes a namespace's ConfigMap before the
// controller's own, so it works with an Argo this stack did not install, and it leaves alone the workflows of
// other namespaces, whose pods could not write to this bucket (their wait containers would fail).
// Repository-level `archiveLogs: true` archives every template's log; no Workflow needs its own flag
// (Argo's precedence: controller/repository on > workflow spec > template).
import type { LogArchiveSettings, StageConfig } from '@hybrid-runner/config';
import { tlsOnlyBucketPolicy } from './iam-policies.ts';
import {
  ARTIFACT_REPOSITORIES_CONFIG_MAP,
  ARTIFACT_REPOSITORY_KEY,
  DEFAULT_ARTIFACT_REPOSITORY_ANNOTATION,
  artifactRepository,
} from './log-archive-repository.ts';

export interface LogArchiveBucket {
  name: $util.Output<string>;
  arn: $util.Output<string>;
}

/**
 * The bucket: an existing one by name, or a new one. SSE-S3 (AES256) rather than KMS: logs get S3's own keys
 * with no key policy to keep and no kms:Decrypt / kms:GenerateDataKey for the pods and the functions, at no
 * per-request cost; a KMS key would add an audit trail per read, which a log copy that expires with its run
 * does not need (logs are redacted of the bot token before they are served, not before they are stored).
 */
export function createLogArchiveBucket(
  settings: LogArchiveSettings,
  partition: $util.Output<string>,
): LogArchiveBucket {
  if (settings.bucketName) {
    const name = settings.bucketName;
    return { name: $util.output(name), arn: partition.apply((part) => `arn:${part}:s3:::${name}`) };
  }
  // Unversioned: a log is written once; versions would only keep deleted copies past their expiry.
  // forceDestroy: `sst remove` deletes the archive with the stage (copies that expire anyway).
  const bucket = new aws.s3.Bucket('LogArchiveBucket', {
    bucketPrefix: `${$app.name}-${$app.stage}-logs-`.toLowerCase().slice(0, 37),
    forceDestroy: true,
  });
  new aws.s3.BucketServerSideEncryptionConfiguration('LogArchiveEncryption', {
    bucket: bucket.bucket,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  });
  const publicAccess = new aws.s3.BucketPublicAccessBlock('LogArchivePublicAccess', {
    bucket: bucket.bucket,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls('LogArchiveOwnership', {
    bucket: bucket.bucket,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new aws.s3.BucketPolicy(
    'LogArchiveTlsOnly',
    { bucket: bucket.bucket, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
    // S3 refuses a bucket policy while the public access block is still being applied.
    { dependsOn: [publicAccess] },
  );
  new aws.s3.BucketLifecycleConfiguration('LogArchiveExpiry', {
    bucket: bucket.bucket,
    rules: [
      {
        id: 'expire-archived-logs',
        status: 'Enabled',
        filter: {},
        expiration: { days: settings.expireAfterDays },
        // A wait container killed mid-upload leaves parts that would otherwise be stored (and billed) forever.
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ],
  });
  return { name: bucket.bucket, arn: bucket.arn };
}

/** The ingestion namespace's default artifact repository: the log bucket, with archiveLogs. */
export function configureArgoLogArchive(input: {
  config: StageConfig;
  bucket: LogArchiveBucket;
  region: $util.Output<string>;
  dnsSuffix: $util.Output<string>;
  provider: kubernetes.Provider;
  dependsOn: $util.Resource[];
}): kubernetes.core.v1.ConfigMap {
  return new kubernetes.core.v1.ConfigMap(
    'ArgoLogArchiveRepository',
    {
      metadata: {
        name: ARTIFACT_REPOSITORIES_CONFIG_MAP,
        namespace: input.config.namespaces.ingestion,
        annotations: { [DEFAULT_ARTIFACT_REPOSITORY_ANNOTATION]: ARTIFACT_REPOSITORY_KEY },
      },
      data: {
        [ARTIFACT_REPOSITORY_KEY]: $util
          .all([input.bucket.name, input.region, input.dnsSuffix])
          .apply(([bucket, region, dnsSuffix]) =>
            JSON.stringify(artifactRepository({ bucket, region, dnsSuffix }), undefined, 2),
          ),
      },
    },
    { provider: input.provider, dependsOn: input.dependsOn },
  );
}
