// EKS bearer tokens minted in-process, the way `aws eks get-token` and aws-iam-authenticator do: a
// presigned STS GetCallerIdentity URL on the regional STS host with `x-k8s-aws-id` among the signed
// headers, base64url-encoded behind `k8s-aws-v1.`. The API server accepts it for 15 minutes from
// X-Amz-Date, so a provider caches it and mints a new one before 14 minutes.
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4, getCanonicalQuery } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { ClusterUnavailableError, systemClock } from '@hybrid-runner/core';
import type { Clock } from '@hybrid-runner/core';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Header naming the cluster; it must be signed so a token for one cluster is useless on another. */
export const EKS_CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** The presigned URL's own lifetime; EKS ignores it and accepts the token for 15 minutes. */
export const EKS_PRESIGN_EXPIRES_SECONDS = 60;
/** How long a token is reused; the CLI reports the same 14 minutes as its expiration. */
export const EKS_TOKEN_REUSE_MS = 14 * 60 * 1000;
/** Credentials must outlive the token by this margin, else the token is minted again sooner. */
const CREDENTIAL_EXPIRY_MARGIN_MS = 60 * 1000;

export type AwsCredentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface EksToken {
  token: string;
  /** When callers should stop using the token (14 minutes after minting, or earlier with short credentials). */
  expiresAt: Date;
}

export interface MintEksTokenOptions {
  clusterName: string;
  region: string;
  /** Defaults to the Node provider chain (Lambda's environment credentials in AWS). */
  credentials?: AwsCredentials;
  /** Signing time; defaults to now. */
  signingDate?: Date;
}

export function stsHostname(region: string): string {
  return `sts.${region}.amazonaws.com`;
}

async function resolveCredentials(credentials: AwsCredentials | undefined): Promise<AwsCredentialIdentity> {
  const source = credentials ?? fromNodeProviderChain();
  try {
    return typeof source === 'function' ? await source() : source;
  } catch (error) {
    throw new ClusterUnavailableError(
      'No AWS credentials to sign an EKS token: run with an IAM role (Lambda) or configure a profile or ' +
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY locally.',
      { cause: error },
    );
  }
}

/** The presigned STS URL an EKS token wraps (exported for tests and for verifying tokens). */
export async function presignEksUrl(
  options: MintEksTokenOptions & { credentials: AwsCredentialIdentity },
): Promise<string> {
  const hostname = stsHostname(options.region);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, [EKS_CLUSTER_ID_HEADER]: options.clusterName },
  });
  const presigned = await signer.presign(request, {
    expiresIn: EKS_PRESIGN_EXPIRES_SECONDS,
    signingDate: options.signingDate ?? new Date(),
  });
  // The canonical query leaves out the signature itself; it goes last, as the CLI writes it.
  const signature = presigned.query?.['X-Amz-Signature'];
  if (typeof signature !== 'string') throw new Error('Presigning the STS request produced no signature.');
  return `https://${hostname}/?${getCanonicalQuery(presigned)}&X-Amz-Signature=${signature}`;
}

export function encodeEksToken(presignedUrl: string): string {
  // Node's base64url has no padding, which is what the authenticator expects.
  return EKS_TOKEN_PREFIX + Buffer.from(presignedUrl, 'utf8').toString('base64url');
}

/** Decodes a token back to its presigned URL; throws on anything that is not an EKS token. */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) {
    throw new Error(`An EKS token starts with "${EKS_TOKEN_PREFIX}".`);
  }
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** Mints one token. Its `expiresAt` is the reuse limit, shortened when the credentials expire first. */
export async function mintEksToken(options: MintEksTokenOptions): Promise<EksToken> {
  if (!options.clusterName) throw new Error('mintEksToken needs the EKS cluster name.');
  if (!options.region) throw new Error('mintEksToken needs the AWS region of the cluster.');
  const credentials = await resolveCredentials(options.credentials);
  const signingDate = options.signingDate ?? new Date();
  const url = await presignEksUrl({ ...options, credentials, signingDate });
  let expiresAt = signingDate.getTime() + EKS_TOKEN_REUSE_MS;
  if (credentials.expiration) {
    expiresAt = Math.min(expiresAt, credentials.expiration.getTime() - CREDENTIAL_EXPIRY_MARGIN_MS);
  }
  return { token: encodeEksToken(url), expiresAt: new Date(expiresAt) };
}

/** A source of bearer tokens that can be told a token was refused, so the next call mints afresh. */
export interface BearerTokenProvider {
  token(): Promise<string>;
  /** Forgets the cached token (after a 401), so the next `token()` mints a new one. */
  invalidate(): void;
}

export interface EksTokenProviderOptions {
  clusterName: string;
  region: string;
  credentials?: AwsCredentials;
  clock?: Clock;
}

/** Caches an EKS token per cluster and mints a new one when it nears expiry or after `invalidate()`. */
export class EksTokenProvider implements BearerTokenProvider {
  readonly clusterName: string;
  readonly region: string;
  readonly #credentials: AwsCredentials;
  readonly #clock: Clock;
  #current: EksToken | undefined;
  #minting: Promise<EksToken> | undefined;
  /** How many tokens this provider has minted (for tests and metrics). */
  minted = 0;

  constructor(options: EksTokenProviderOptions) {
    this.clusterName = options.clusterName;
    this.region = options.region;
    // Resolve the default chain once: it caches and refreshes its own credentials.
    this.#credentials = options.credentials ?? fromNodeProviderChain();
    this.#clock = options.clock ?? systemClock;
  }

  async current(): Promise<EksToken> {
    const now = this.#clock.now();
    if (this.#current && this.#current.expiresAt.getTime() > now.getTime()) return this.#current;
    // Concurrent callers share one mint.
    this.#minting ??= mintEksToken({
      clusterName: this.clusterName,
      region: this.region,
      credentials: this.#credentials,
      signingDate: now,
    })
      .then((minted) => {
        this.#current = minted;
        this.minted += 1;
        return minted;
      })
      .finally(() => {
        this.#minting = undefined;
      });
    return this.#minting;
  }

  async token(): Promise<string> {
    return (await this.current()).token;
  }

  invalidate(): void {
    this.#current = undefined;
  }
}
