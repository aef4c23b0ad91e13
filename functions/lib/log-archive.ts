// The log archive of the functions that read run logs: Argo's artifact repository bucket, named by the stack in
// LOG_ARCHIVE_BUCKET (the region is the function's own, AWS_REGION). Unset: no archive, and a run's logs go
// with its pod, as before logs.archive existed.
import { S3Client } from '@aws-sdk/client-s3';
import { S3LogArchive } from '@hybrid-runner/aws';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import type { LogArchive } from '@hybrid-runner/core';

/**
 * The archive the environment names, or undefined. `wrapClient` lets the caller trace the client (X-Ray);
 * the SDK's standard retryer (3 attempts) handles throttling, 5xx and timeouts.
 */
export function logArchiveFromEnvironment(
  env: NodeJS.ProcessEnv,
  wrapClient: (client: S3Client) => S3Client = (client) => client,
): LogArchive | undefined {
  const bucket = env[FUNCTION_ENV.logArchiveBucket]?.trim();
  if (!bucket) return undefined;
  return new S3LogArchive({ bucket, client: wrapClient(new S3Client({})) });
}
