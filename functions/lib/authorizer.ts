// The $connect token check, built once per container: the bot token from Secrets Manager (by ARN from the
// environment, never the token itself), optional JWKS verification, or the injected authorizer.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  connectAuthorizer,
  jwksVerifier,
  secretsManagerTokenProvider,
  type ConnectAuthorizer,
} from '@hybrid-runner/aws';
import { readFunctionEnvironment } from '@hybrid-runner/config';
import { bridgeOverrides, onBridgeReconfigured } from './bridge-context.ts';

/** Optional JWT verification of the bearer token against the Collate server's JWKS. */
export const JWKS_ENV = { url: 'HYBRID_RUNNER_JWKS_URL', issuer: 'HYBRID_RUNNER_JWT_ISSUER' } as const;

/** The bot token is re-read this often, so a rotated secret takes effect without a redeploy. */
const TOKEN_CACHE_MS = 15 * 60_000;

let cached: ConnectAuthorizer | undefined;
onBridgeReconfigured(() => {
  cached = undefined;
});

export function authorizer(env: NodeJS.ProcessEnv = process.env): ConnectAuthorizer {
  const injected = bridgeOverrides();
  if (injected) return injected.authorizer;
  if (!cached) {
    const functionEnv = readFunctionEnvironment(env);
    const jwksUrl = env[JWKS_ENV.url];
    const issuer = env[JWKS_ENV.issuer];
    cached = connectAuthorizer({
      agentId: functionEnv.settings.agentId,
      token: secretsManagerTokenProvider({
        client: new SecretsManagerClient({}),
        secretId: functionEnv.authTokenSecret,
        cacheMs: TOKEN_CACHE_MS,
      }),
      ...(jwksUrl ? { verifyJwt: jwksVerifier({ jwksUrl, ...(issuer ? { issuer } : {}) }) } : {}),
    });
  }
  return cached;
}
