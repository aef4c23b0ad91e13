// The log archive of the functions that read run logs: Argo's artifact repository bucket, named by the stack in
// LOG_ARCHIVE_BUCKET (the region is the function's own, AWS_REGION). Unset: no archive, and a run's logs go
// with its pod, as before logs.archive existed.
import { S3Client } from '@aws-sdk/client-s3';
import { S3LogArchive } from '@hybrid-runner/aws';
import type { LogArchive } from '@hybrid-runner/core';

/** The variable the stack sets to the artifact repository's bucket name. */
export const LOG_ARCHIVE_BUCKET_ENV = 'LOG_ARCHIVE_BUCKET';

/**
 * The archive the environment names, or undefined. `wrapClient` lets the caller trace the client (X-Ray);
 * the SDK's standard retryer (3 attempts) handles throttling, 5xx and timeouts.
 */
export function logArchiveFromEnvironment(
  env: NodeJS.ProcessEnv,
  wrapClient: (client: S3Client) => S3Client = (client) => client,
): LogArchive | undefined {
  const bucket = env[LOG_ARCHIVE_BUCKET_ENV]?.trim();
  if (!bucket) return undefined;
  return new S3LogArchive({ bucket, client: wrapClient(new S3Client({})) });
}
