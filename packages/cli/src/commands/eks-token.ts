// `hybrid-runner eks token --cluster <name> --region <region>`: prints the same ExecCredential as
// `aws eks get-token`, minted in-process with the runner's own token code, so a kubeconfig `exec` entry
// can use it where the AWS CLI is not installed. The token goes to stdout only (kubectl reads it there).
import { mintEksToken } from '@hybrid-runner/aws';
import type { AwsCredentials } from '@hybrid-runner/aws';
import { EXIT, CliError } from '../exit-codes.ts';

export const EXEC_CREDENTIAL_API_VERSION = 'client.authentication.k8s.io/v1beta1';

export interface ExecCredential {
  kind: 'ExecCredential';
  apiVersion: typeof EXEC_CREDENTIAL_API_VERSION;
  spec: Record<string, never>;
  status: { expirationTimestamp: string; token: string };
}

export interface EksTokenCommandOptions {
  cluster: string;
  region: string;
  /** Default: the AWS SDK's provider chain (environment, profile, SSO, instance role). */
  credentials?: AwsCredentials;
  now?: () => Date;
  stdout?: NodeJS.WritableStream;
}

/** `2026-01-01T00:14:00Z`: the AWS CLI's format, without milliseconds. */
function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function runEksTokenCommand(options: EksTokenCommandOptions): Promise<ExecCredential> {
  if (!options.cluster)
    throw new CliError('eks token needs --cluster <name> (the EKS cluster name).', EXIT.usage);
  if (!options.region)
    throw new CliError('eks token needs --region <region> (for example eu-west-1).', EXIT.usage);
  let minted;
  try {
    minted = await mintEksToken({
      clusterName: options.cluster,
      region: options.region,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      signingDate: options.now?.() ?? new Date(),
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), EXIT.unreachable, {
      cause: error,
    });
  }
  const credential: ExecCredential = {
    kind: 'ExecCredential',
    apiVersion: EXEC_CREDENTIAL_API_VERSION,
    spec: {},
    status: { expirationTimestamp: formatTimestamp(minted.expiresAt), token: minted.token },
  };
  (options.stdout ?? process.stdout).write(`${JSON.stringify(credential)}\n`);
  return credential;
}
