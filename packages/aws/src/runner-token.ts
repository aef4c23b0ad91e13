// The runner's bearer token (the ingestion bot JWT Collate presents on $connect): read once from Secrets
// Manager and cached per container; compared in constant time; optionally verified against Collate's JWKS.
import { createHash, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
// Type only: jose itself is imported lazily, when JWKS verification is configured.
import type { createRemoteJWKSet } from 'jose';
import { isRetryableSendFault } from './faults.ts';

export type TokenProvider = () => Promise<string>;

/**
 * Reads the token from Secrets Manager by ARN or name, caching it for `cacheMs` (default: for the life of
 * the container). Concurrent first calls share one request; a failed read is not cached, and a transient
 * failure (throttling, 5xx) of a re-read serves the token read before.
 */
export function secretsManagerTokenProvider(options: {
  client: SecretsManagerClient;
  secretId: string;
  cacheMs?: number;
  now?: () => number;
}): TokenProvider {
  const now = options.now ?? Date.now;
  let cached: { value: Promise<string>; readAt: number } | undefined;
  let lastRead: string | undefined;
  return () => {
    if (cached && (options.cacheMs === undefined || now() - cached.readAt < options.cacheMs))
      return cached.value;
    let stale = false;
    const value = options.client.send(new GetSecretValueCommand({ SecretId: options.secretId })).then(
      (result) => {
        const token = result.SecretString?.trim();
        if (!token) {
          throw new Error(
            `Secret ${options.secretId} has no string value: store the ingestion bot JWT in it as plain text.`,
          );
        }
        lastRead = token;
        return token;
      },
      (error: unknown) => {
        // A throttled or failing re-read serves the token read before rather than failing every request
        // (the next call reads again); a missing or denied secret still fails.
        if (lastRead === undefined || !isRetryableSendFault(error)) throw error;
        stale = true;
        return lastRead;
      },
    );
    const entry = { value, readAt: now() };
    cached = entry;
    // Neither a failure nor a stale token is kept: the next call reads the secret again.
    const forget = () => {
      if (cached === entry) cached = undefined;
    };
    value.then(() => stale && forget(), forget);
    return value;
  };
}

/** Case-insensitive header lookup over API Gateway's `headers` (single values). */
export function headerValue(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Compares secrets in constant time: hashing first makes the lengths equal, so the length leaks nothing. */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * The bot tokens of a stage: the current one (the one the runner sends, when it dials out) and, while a
 * rotation is under way, the previous one with the time it stops being accepted. The previous token stays
 * in the set after that time, until the stage drops it, so it is still redacted everywhere.
 */
export interface BotTokenSet {
  current: string;
  previous?: { token: string; retireAt: Date };
}
export type TokenSetProvider = () => Promise<BotTokenSet>;

/**
 * The token set from two providers. The previous token is read only when configured; if it cannot be read
 * (the old secret was deleted early, access removed) the set holds the current token alone: connections
 * must present the new token then, and onPreviousUnreadable says why.
 */
export function rotatingTokenSet(options: {
  current: TokenProvider;
  previous?: { token: TokenProvider; retireAt: Date };
  onPreviousUnreadable?: (error: unknown) => void;
}): TokenSetProvider {
  const { previous } = options;
  return async () => {
    const [current, previousToken] = await Promise.all([
      options.current(),
      previous?.token().catch((error: unknown) => {
        options.onPreviousUnreadable?.(error);
        return undefined;
      }),
    ]);
    return previous && previousToken !== undefined
      ? { current, previous: { token: previousToken, retireAt: previous.retireAt } }
      : { current };
  };
}

/** Every token of a set, for redaction. */
export function tokensOf(set: BotTokenSet): string[] {
  return set.previous ? [set.current, set.previous.token] : [set.current];
}

export type ConnectDecision =
  { status: 200; agentId: string; token: 'current' | 'previous' } | { status: 401 | 403; reason: string };

export interface ConnectAuthorizer {
  authorize(headers: Record<string, string | undefined> | null | undefined): Promise<ConnectDecision>;
}

/** Verifies a JWT's signature and claims against a JWKS; `jose` is imported only when this is configured. */
export function jwksVerifier(options: {
  jwksUrl: string;
  issuer?: string;
  audience?: string;
}): (token: string) => Promise<boolean> {
  // The key set caches fetched keys, so it lives as long as the container.
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  return async (token) => {
    const jose = await import('jose');
    keySet ??= jose.createRemoteJWKSet(new URL(options.jwksUrl));
    try {
      await jose.jwtVerify(token, keySet, {
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
      });
      return true;
    } catch {
      return false;
    }
  };
}

/**
 * The $connect rule of the bridge protocol: 401 when the bearer token is missing or wrong, 403 when the
 * token is right but `X-Agent-Id` names another agent. Reasons never contain the presented token.
 */
export function connectAuthorizer(
  options: (
    | { token: TokenProvider; tokens?: undefined }
    | {
        /** With a rotation: the previous token is accepted too, until its retireAt. */
        tokens: TokenSetProvider;
        token?: undefined;
      }
  ) & {
    agentId: string;
    /** Extra check of the JWT itself (signature, expiry), for example jwksVerifier. */
    verifyJwt?: (token: string) => Promise<boolean>;
    now?: () => number;
  },
): ConnectAuthorizer {
  const single = options.token;
  const readTokens: TokenSetProvider = options.tokens ?? (async () => ({ current: await single!() }));
  const now = options.now ?? Date.now;
  return {
    async authorize(headers) {
      const presented = bearerToken(headerValue(headers, 'authorization'));
      if (!presented) {
        return {
          status: 401,
          reason: 'missing bearer token: send Authorization: Bearer <ingestion bot JWT>',
        };
      }
      const tokens = await readTokens();
      // Both comparisons always run, so the time taken does not tell which token matched.
      const isCurrent = secretsEqual(presented, tokens.current);
      const isPrevious = tokens.previous ? secretsEqual(presented, tokens.previous.token) : false;
      const previousRetired = tokens.previous ? now() >= tokens.previous.retireAt.getTime() : true;
      if (!isCurrent && !(isPrevious && !previousRetired)) {
        return {
          status: 401,
          reason: isPrevious
            ? `the bearer token is the previous ingestion bot token, retired at ${tokens.previous!.retireAt.toISOString()}: connect with the current one`
            : "the bearer token is not this runner's ingestion bot token",
        };
      }
      if (options.verifyJwt && !(await options.verifyJwt(presented))) {
        return {
          status: 401,
          reason: 'the bearer token failed JWT verification against the configured JWKS',
        };
      }
      const agentId = headerValue(headers, 'x-agent-id')?.trim();
      if (!agentId || !secretsEqual(agentId, options.agentId)) {
        return {
          status: 403,
          reason: `this runner serves agent ${options.agentId}; send X-Agent-Id: ${options.agentId}`,
        };
      }
      return { status: 200, agentId, token: isCurrent ? 'current' : 'previous' };
    },
  };
}
