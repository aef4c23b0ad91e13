// Which log archive the functions build from the environment the stack sets (no network: the client is only
// constructed).
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3LogArchive } from '@hybrid-runner/aws';
import { LOG_ARCHIVE_BUCKET_ENV, logArchiveFromEnvironment } from '../../../functions/lib/log-archive.ts';

describe('logArchiveFromEnvironment', () => {
  it('is absent when LOG_ARCHIVE_BUCKET is unset or blank (logs go with their pods, as before)', () => {
    expect(logArchiveFromEnvironment({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
    expect(
      logArchiveFromEnvironment({ [LOG_ARCHIVE_BUCKET_ENV]: '  ', AWS_REGION: 'eu-west-1' }),
    ).toBeUndefined();
  });

  it('reads the bucket LOG_ARCHIVE_BUCKET names through an S3 client the caller may wrap (tracing)', () => {
    const wrapped: S3Client[] = [];
    const archive = logArchiveFromEnvironment(
      { [LOG_ARCHIVE_BUCKET_ENV]: 'runner-logs', AWS_REGION: 'eu-west-1' },
      (client) => {
        wrapped.push(client);
        return client;
      },
    );
    expect(LOG_ARCHIVE_BUCKET_ENV).toBe('LOG_ARCHIVE_BUCKET');
    expect(archive).toBeInstanceOf(S3LogArchive);
    expect(wrapped).toHaveLength(1);
    expect(wrapped[0]).toBeInstanceOf(S3Client);
  });
});
