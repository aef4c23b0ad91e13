// S3 for the local stage: s3rver (an S3 implementation from npm, on 127.0.0.1, objects in a temporary
// directory) as Argo's artifact repository with archiveLogs. The simulated Argo controller writes each pod's
// main log into it (as Argo's wait container would, with its own keys); the runner reads them back with the
// real S3 client through LOG_ARCHIVE_BUCKET and AWS_ENDPOINT_URL_S3. It is not S3: s3rver does not check SigV4
// signatures (it only knows the key id), nor IAM, encryption or lifecycle expiry.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ARCHIVED_LOG_KEY_FORMAT } from '@hybrid-runner/config';
import type { LogArchiveSink } from '@hybrid-runner/k8s-emulator';
import S3rver from 's3rver';

const require = createRequire(import.meta.url);
// s3rver keeps the key ids it accepts in a process-wide registry (CommonJS, untyped); its own fixed pair is
// S3RVER/S3RVER.
const AwsAccount = require('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    revokeAccessKey(accessKeyId: string): void;
  };
};
const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The local artifact repository's bucket and keyFormat (what the stack gives Argo: namespace/workflow/pod). */
export const LOCAL_LOG_ARCHIVE = {
  bucket: 'hybrid-runner-logs',
  keyFormat: ARCHIVED_LOG_KEY_FORMAT,
} as const;

export interface LocalS3Options {
  region: string;
  /** Key pairs that may call it besides s3rver's own (the runner's). */
  accessKeys: Record<string, string>;
  bucket?: string;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  bucket: string;
  /** Where the simulated Argo controller archives pod logs (it writes with s3rver's own keys, not the runner's). */
  logSink: LogArchiveSink;
  close(): Promise<void>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const bucket = options.bucket ?? LOCAL_LOG_ARCHIVE.bucket;
  const directory = mkdtempSync(join(tmpdir(), 'hybrid-runner-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false });
  const keyIds = Object.keys(options.accessKeys);
  let client: S3Client | undefined;
  const close = async () => {
    client?.destroy();
    for (const keyId of keyIds) AwsAccount.DUMMY_ACCOUNT.revokeAccessKey(keyId);
    await server.close().catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const { port } = await server.run();
    for (const [keyId, secret] of Object.entries(options.accessKeys))
      AwsAccount.DUMMY_ACCOUNT.createKeyPair(keyId, secret);
    const endpoint = `http://127.0.0.1:${port}`;
    const writer = new S3Client({
      region: options.region,
      endpoint,
      forcePathStyle: true,
      credentials: S3RVER_KEYS,
    });
    client = writer;
    await writer.send(new CreateBucketCommand({ Bucket: bucket }));
    return {
      endpoint,
      bucket,
      logSink: {
        keyFormat: LOCAL_LOG_ARCHIVE.keyFormat,
        async write(key, content) {
          await writer.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: content, ContentLength: content.length }),
          );
        },
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
