// Bearer-token authentication. `eks` mode checks EKS tokens as the EKS authenticator effectively does:
// the token is `k8s-aws-v1.` + base64url(presigned STS GetCallerIdentity URL); instead of calling STS we
// re-sign the URL with the configured credentials and compare signatures, which proves the token was made
// with those credentials, for this cluster, unaltered, and within its 15 minutes. `static` mode maps fixed
// tokens to users for simple tests. Reasons for a rejection go to the emulator's log, never to the client.
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface UserInfo {
  username: string;
  groups: string[];
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface EksIdentity extends AwsCredentials {
  /** Kubernetes user name the access entry maps these credentials to. Default: `eks:<accessKeyId>`. */
  username?: string;
  groups?: string[];
}

export type AuthOptions =
  | {
      mode: 'eks';
      region: string;
      clusterName: string;
      /** The credentials (one or several identities) whose tokens are accepted. */
      credentials: EksIdentity | EksIdentity[];
    }
  | {
      mode: 'static';
      /** token → user. */
      tokens: Record<string, { username: string; groups?: string[] }>;
    };

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The EKS authenticator accepts a token for 15 minutes from its X-Amz-Date. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60 * 1000;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

export type AuthResult = { ok: true; user: UserInfo } | { ok: false; reason: string };

function signerFor(region: string, credentials: AwsCredentials): SignatureV4 {
  return new SignatureV4({
    service: 'sts',
    region,
    sha256: Sha256,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
  });
}

/** Presigns the STS GetCallerIdentity URL an EKS token carries. */
export async function presignCallerIdentityUrl(options: {
  region: string;
  clusterName: string;
  credentials: AwsCredentials;
  signingDate?: Date;
  query?: Record<string, string>;
}): Promise<URL> {
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signed = await signerFor(options.region, options.credentials).presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: options.query ?? { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: options.clusterName },
    },
    { expiresIn: 60, signingDate: options.signingDate ?? new Date() },
  );
  const url = new URL(`https://${hostname}/`);
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    if (typeof value === 'string') url.searchParams.set(name, value);
  }
  return url;
}

/**
 * Makes an EKS bearer token the way a client outside the cluster does. Tests and the local stage use it to
 * talk to the emulator; the runner's production token code lives in @hybrid-runner/aws.
 */
export async function createEksToken(options: {
  region: string;
  clusterName: string;
  credentials: AwsCredentials;
  signingDate?: Date;
}): Promise<string> {
  const url = await presignCallerIdentityUrl(options);
  return EKS_TOKEN_PREFIX + Buffer.from(url.toString()).toString('base64url');
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

function sameSignature(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Authenticator {
  private readonly options: AuthOptions;
  private readonly now: () => Date;

  constructor(options: AuthOptions, now: () => Date = () => new Date()) {
    this.options = options;
    this.now = now;
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { ok: false, reason: 'no bearer token' };
    const token = match[1] ?? '';
    if (this.options.mode === 'static') {
      const user = Object.hasOwn(this.options.tokens, token) ? this.options.tokens[token] : undefined;
      if (!user) return { ok: false, reason: 'unknown static token' };
      return { ok: true, user: withAuthenticatedGroup(user.username, user.groups ?? []) };
    }
    return this.verifyEksToken(token, this.options);
  }

  private async verifyEksToken(
    token: string,
    options: Extract<AuthOptions, { mode: 'eks' }>,
  ): Promise<AuthResult> {
    if (!token.startsWith(EKS_TOKEN_PREFIX))
      return { ok: false, reason: 'not an EKS token (missing k8s-aws-v1. prefix)' };
    const encoded = token.slice(EKS_TOKEN_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return { ok: false, reason: 'token is not unpadded base64url' };
    let url: URL;
    try {
      url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'token does not decode to a URL' };
    }
    const expectedHost = `sts.${options.region}.amazonaws.com`;
    if (
      url.protocol !== 'https:' ||
      url.hostname !== expectedHost ||
      url.port !== '' ||
      url.pathname !== '/'
    ) {
      return { ok: false, reason: `URL is not https://${expectedHost}/` };
    }
    const query = url.searchParams;
    if (query.get('Action') !== 'GetCallerIdentity')
      return { ok: false, reason: 'action is not GetCallerIdentity' };
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
      return { ok: false, reason: 'unsupported signing algorithm' };
    if (query.get('X-Amz-Expires') !== '60') return { ok: false, reason: 'X-Amz-Expires must be 60' };
    const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    if (!signedHeaders.includes(CLUSTER_ID_HEADER) || !signedHeaders.includes('host')) {
      return { ok: false, reason: `${CLUSTER_ID_HEADER} is not among the signed headers` };
    }
    const signingDate = parseAmzDate(query.get('X-Amz-Date') ?? '');
    if (!signingDate) return { ok: false, reason: 'X-Amz-Date missing or malformed' };
    const age = this.now().getTime() - signingDate.getTime();
    if (age > EKS_TOKEN_LIFETIME_MS) return { ok: false, reason: 'token expired' };
    if (age < -CLOCK_SKEW_MS) return { ok: false, reason: 'token signed in the future' };
    const credential = (query.get('X-Amz-Credential') ?? '').split('/');
    const [accessKeyId, , scopeRegion, scopeService] = credential;
    if (scopeRegion !== options.region || scopeService !== 'sts')
      return { ok: false, reason: "credential scope is not this region's STS" };
    const identities = Array.isArray(options.credentials) ? options.credentials : [options.credentials];
    const identity = identities.find((candidate) => candidate.accessKeyId === accessKeyId);
    if (!identity) return { ok: false, reason: 'unknown access key' };
    if ((query.get('X-Amz-Security-Token') ?? undefined) !== identity.sessionToken) {
      return { ok: false, reason: 'session token does not match the credentials' };
    }
    const unsigned: Record<string, string> = {};
    for (const [name, value] of query) {
      if (!name.startsWith('X-Amz-')) unsigned[name] = value;
    }
    const expected = await presignCallerIdentityUrl({
      region: options.region,
      clusterName: options.clusterName,
      credentials: identity,
      signingDate,
      query: unsigned,
    });
    const presented = query.get('X-Amz-Signature') ?? '';
    const wanted = expected.searchParams.get('X-Amz-Signature') ?? '';
    if (!sameSignature(presented, wanted)) {
      return { ok: false, reason: 'signature mismatch (tampered, other cluster or other secret key)' };
    }
    return {
      ok: true,
      user: withAuthenticatedGroup(identity.username ?? `eks:${identity.accessKeyId}`, identity.groups ?? []),
    };
  }
}

function withAuthenticatedGroup(username: string, groups: string[]): UserInfo {
  return {
    username,
    groups: groups.includes('system:authenticated') ? groups : [...groups, 'system:authenticated'],
  };
}
